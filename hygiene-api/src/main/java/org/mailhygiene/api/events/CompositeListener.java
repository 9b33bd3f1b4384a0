package org.mailhygiene.api.events;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Disposition;

/** Fans events out and isolates listeners that throw. */
final class CompositeListener implements HygieneListener {
    private final List<HygieneListener> listeners;

    CompositeListener(List<HygieneListener> listeners) {
        this.listeners = listeners;
    }

    private void each(Consumer<HygieneListener> event) {
        for (HygieneListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException ignored) {
                // A listener must not throw; one that does must not break scanning or the other listeners.
            }
        }
    }

    @Override
    public void scanStarted(String scanner, Message message) {
        each(l -> l.scanStarted(scanner, message));
    }

    @Override
    public void scanFinished(Verdict verdict, Message message) {
        each(l -> l.scanFinished(verdict, message));
    }

    @Override
    public void scanFailed(ScanFailure failure, Message message) {
        each(l -> l.scanFailed(failure, message));
    }

    @Override
    public void cacheHit(Verdict verdict, Message message) {
        each(l -> l.cacheHit(verdict, message));
    }

    @Override
    public void disposition(Disposition disposition, Message message) {
        each(l -> l.disposition(disposition, message));
    }

    @Override
    public void failover(String group, String from, String to, String reason) {
        each(l -> l.failover(group, from, to, reason));
    }

    @Override
    public void memberDown(String group, String member, String reason, Duration backoff) {
        each(l -> l.memberDown(group, member, reason, backoff));
    }

    @Override
    public void memberUp(String group, String member) {
        each(l -> l.memberUp(group, member));
    }

    @Override
    public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
        each(l -> l.signatureUpdate(updater, success, detail, elapsed));
    }
}
