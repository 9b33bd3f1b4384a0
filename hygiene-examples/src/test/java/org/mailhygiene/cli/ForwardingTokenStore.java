package org.mailhygiene.cli;

import java.util.Collection;
import java.util.Optional;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;

/** A token store that passes every call on to another; a test overrides the calls it intercepts. */
class ForwardingTokenStore implements TokenStore {
    final TokenStore to;

    ForwardingTokenStore(TokenStore to) {
        this.to = to;
    }

    @Override
    public void learn(String model, Collection<String> tokens, boolean spam) throws SharedStateException {
        to.learn(model, tokens, spam);
    }

    @Override
    public boolean learn(String model, String key, Collection<String> tokens, boolean spam)
            throws SharedStateException {
        return to.learn(model, key, tokens, spam);
    }

    @Override
    public Optional<Learned> learned(String model, String key) throws SharedStateException {
        return to.learned(model, key);
    }

    @Override
    public Optional<Learned> unlearn(String model, String key, Collection<String> tokens) throws SharedStateException {
        return to.unlearn(model, key, tokens);
    }

    @Override
    public long version(String model) throws SharedStateException {
        return to.version(model);
    }

    @Override
    public Snapshot snapshot(String model) throws SharedStateException {
        return to.snapshot(model);
    }

    @Override
    public Changes changesSince(String model, long version) throws SharedStateException {
        return to.changesSince(model, version);
    }
}
