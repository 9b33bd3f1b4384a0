package org.mailhygiene.scanners;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;

/** A scanner for pipeline tests: behaviour given as a lambda, calls counted, cache identity chosen. */
final class TestScanner implements Scanner {
    /** What the scanner does. */
    @FunctionalInterface
    interface Behaviour {
        Verdict scan(Message message) throws ScanException, InterruptedException;
    }

    private final String name;
    private final Optional<String> identity;
    private final Behaviour behaviour;
    final AtomicInteger calls = new AtomicInteger();

    TestScanner(String name, Optional<String> identity, Behaviour behaviour) {
        this.name = name;
        this.identity = identity;
        this.behaviour = behaviour;
    }

    static TestScanner uncached(String name, Behaviour behaviour) {
        return new TestScanner(name, Optional.empty(), behaviour);
    }

    static TestScanner cached(String name, Behaviour behaviour) {
        return new TestScanner(name, Optional.of(name + "/1"), behaviour);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        calls.incrementAndGet();
        return behaviour.scan(message);
    }

    @Override
    public Optional<String> cacheIdentity() {
        return identity;
    }
}
