package org.mailhygiene.scanners;

import java.util.ArrayList;
import java.util.List;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Disposition;

/** Records events as strings like {@code started:a}, {@code finished:a:CLEAN}, {@code disposition:ACCEPT}. */
final class RecordingListener implements HygieneListener {
    private final List<String> events = new ArrayList<>();

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    private synchronized void add(String e) {
        events.add(e);
    }

    @Override
    public void scanStarted(String scanner, Message message) {
        add("started:" + scanner);
    }

    @Override
    public void scanFinished(Verdict verdict, Message message) {
        add("finished:" + verdict.scanner() + ":" + verdict.outcome());
    }

    @Override
    public void scanFailed(ScanFailure failure, Message message) {
        add("failed:" + failure.scanner() + ":" + failure.kind());
    }

    @Override
    public void cacheHit(Verdict verdict, Message message) {
        add("cacheHit:" + verdict.scanner() + ":" + verdict.outcome());
    }

    @Override
    public void disposition(Disposition disposition, Message message) {
        add("disposition:" + disposition.action());
    }
}
