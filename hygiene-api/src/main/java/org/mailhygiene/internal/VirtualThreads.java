package org.mailhygiene.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Threads for blocking work (scans, SMTP sessions): virtual threads when the runtime has them (Java 21+), platform
 * daemon threads otherwise. The library is compiled for Java 17, so the virtual-thread API is reached through method
 * handles.
 *
 * <p>Thread-safe; stateless apart from a thread counter.
 */
public final class VirtualThreads {
    private static final MethodHandle OF_VIRTUAL_FACTORY = lookupVirtualFactory();

    private VirtualThreads() {}

    private static MethodHandle lookupVirtualFactory() {
        try {
            // Thread.ofVirtual().name(prefix, 0).factory()
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> builderClass = Class.forName("java.lang.Thread$Builder$OfVirtual");
            MethodHandle ofVirtual = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(builderClass));
            MethodHandle name = lookup.findVirtual(
                    builderClass, "name", MethodType.methodType(builderClass, String.class, long.class));
            MethodHandle factory =
                    lookup.findVirtual(builderClass, "factory", MethodType.methodType(ThreadFactory.class));
            MethodHandle named =
                    MethodHandles.filterReturnValue(MethodHandles.collectArguments(name, 0, ofVirtual), factory);
            return named; // (String, long) -> ThreadFactory
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether this runtime has virtual threads.
     *
     * @return {@code true} on Java 21 and later
     */
    public static boolean available() {
        return OF_VIRTUAL_FACTORY != null;
    }

    /**
     * A thread factory: virtual threads named {@code prefix-N} where available, else daemon platform threads.
     *
     * @param prefix the thread name prefix
     * @return a thread factory
     */
    public static ThreadFactory factory(String prefix) {
        if (OF_VIRTUAL_FACTORY != null) {
            try {
                return (ThreadFactory) OF_VIRTUAL_FACTORY.invoke(prefix + "-", 0L);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot create a virtual thread factory", e);
            }
        }
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * An executor that runs each task on its own thread: one virtual thread per task where available; otherwise a
     * pool of at most {@code platformMaxThreads} daemon platform threads with an unbounded queue (tasks wait rather than
     * starting thousands of platform threads). The pool hands a task to an idle thread when there is one and starts a
     * thread only when none is idle (idle threads end after 30 s); a plain fixed pool would start a new thread for each
     * of its first {@code platformMaxThreads} tasks, and again after every idle period, even with idle threads waiting.
     * Shut it down when done.
     *
     * @param prefix the thread name prefix
     * @param platformMaxThreads the pool size used on runtimes without virtual threads, {@code >= 1}
     * @return a new executor
     * @throws IllegalArgumentException if {@code platformMaxThreads < 1}
     */
    public static ExecutorService newPerTaskExecutor(String prefix, int platformMaxThreads) {
        Checks.requireAtLeast(platformMaxThreads, 1, "platformMaxThreads");
        ThreadFactory factory = factory(prefix);
        if (OF_VIRTUAL_FACTORY != null) {
            try {
                MethodHandle perTask = MethodHandles.publicLookup()
                        .findStatic(
                                java.util.concurrent.Executors.class,
                                "newThreadPerTaskExecutor",
                                MethodType.methodType(ExecutorService.class, ThreadFactory.class));
                return (ExecutorService) perTask.invoke(factory);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot create a virtual-thread-per-task executor", e);
            }
        }
        HandOffQueue queue = new HandOffQueue();
        return new ThreadPoolExecutor(0, platformMaxThreads, 30, TimeUnit.SECONDS, queue, factory, (task, pool) -> {
            if (pool.isShutdown()) {
                throw new RejectedExecutionException("the executor is shut down");
            }
            queue.enqueue(task); // every thread is busy: wait in line
        });
    }

    /**
     * The pool's queue: {@code offer} succeeds only by handing the task to an idle thread, so that the pool starts a
     * new thread (up to its maximum) rather than queueing while none is idle; at the maximum, the pool's rejection
     * handler queues the task for real.
     */
    private static final class HandOffQueue extends LinkedTransferQueue<Runnable> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean offer(Runnable task) {
            return tryTransfer(task);
        }

        void enqueue(Runnable task) {
            super.offer(task);
        }
    }

    /**
     * Whether a thread is virtual.
     *
     * @param thread the thread
     * @return {@code true} for a virtual thread
     */
    public static boolean isVirtual(Thread thread) {
        try {
            return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
