package org.mailhygiene.testkit;

import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;

/**
 * A token store that passes every call on to another: a test overrides the calls it intercepts (counts them, fails
 * them, races another writer in between). {@link #plain(TokenStore)} gives one that passes on only the abstract
 * methods, a store of the kind the API allows that keeps no learn journal and no change log.
 *
 * <p>Thread-safe as the store it forwards to.
 */
public class ForwardingTokenStore implements TokenStore {
    /** The store every call goes to. */
    protected final TokenStore to;

    /**
     * Forwards to {@code to}.
     *
     * @param to the store
     * @throws NullPointerException if {@code to} is {@code null}
     */
    public ForwardingTokenStore(TokenStore to) {
        this.to = Objects.requireNonNull(to, "to");
    }

    /**
     * A store that forwards {@link TokenStore}'s abstract methods to {@code to} and leaves its default methods: it
     * keeps no learn journal ({@link TokenStore#learned} is always empty) and no change log ({@link
     * TokenStore#changesSince} always needs a whole read), as a store written before them; for tests of what callers
     * do with such a store.
     *
     * @param to the store
     * @return the plain store
     * @throws NullPointerException if {@code to} is {@code null}
     */
    public static TokenStore plain(TokenStore to) {
        Objects.requireNonNull(to, "to");
        return new TokenStore() {
            @Override
            public void learn(String model, Collection<String> tokens, boolean spam) throws SharedStateException {
                to.learn(model, tokens, spam);
            }

            @Override
            public long version(String model) throws SharedStateException {
                return to.version(model);
            }

            @Override
            public Snapshot snapshot(String model) throws SharedStateException {
                return to.snapshot(model);
            }
        };
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
