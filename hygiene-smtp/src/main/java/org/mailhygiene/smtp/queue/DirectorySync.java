package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;

/**
 * Makes renames in one directory durable, either with a directory force per caller or with group commit: callers
 * that arrive while a force is running wait for the next one, which then covers all of them.
 *
 * <p>Correctness of group commit: a caller asks only after its rename returned, and a force that starts after the
 * ask covers the rename. Each caller takes a ticket; a force started when tickets up to {@code n} were issued
 * completes all tickets up to {@code n}. Thread-safe.
 */
final class DirectorySync {
    private final Path dir;
    private final boolean group;
    private final Object lock = new Object();
    private long issued;
    private long completed;
    private boolean running;
    private long forces;

    DirectorySync(Path dir, boolean group) {
        this.dir = dir;
        this.group = group;
    }

    /** Returns once every rename in the directory made before this call is durable. */
    void sync() throws IOException {
        if (!group) {
            DurableFiles.forceDirectory(dir);
            synchronized (lock) {
                forces++;
            }
            return;
        }
        long ticket;
        synchronized (lock) {
            ticket = ++issued;
        }
        while (true) {
            long upTo;
            synchronized (lock) {
                while (running && completed < ticket) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted waiting for the spool directory sync");
                    }
                }
                if (completed >= ticket) {
                    return;
                }
                running = true;
                upTo = issued;
            }
            boolean ok = false;
            try {
                DurableFiles.forceDirectory(dir);
                ok = true;
            } finally {
                synchronized (lock) {
                    running = false;
                    if (ok) {
                        completed = Math.max(completed, upTo);
                        forces++;
                    }
                    lock.notifyAll();
                }
            }
        }
    }

    /** How many directory forces were made (for tests and benchmarks). */
    long forces() {
        synchronized (lock) {
            return forces;
        }
    }
}
