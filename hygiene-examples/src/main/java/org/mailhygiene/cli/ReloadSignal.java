package org.mailhygiene.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a task when the process receives {@code SIGHUP}, through {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, present in every JDK from 8 to 25 and resolved by default for class-path applications; a
 * modular application needs {@code requires jdk.unsupported}). It is looked up reflectively, so a JVM without it (or a
 * platform without {@code SIGHUP}, such as Windows) only loses the signal: {@link #install} says so and the other
 * triggers still work. So does a process that was started with {@code SIGHUP} ignored ({@code nohup}): the JVM keeps
 * it ignored, and {@link #install} says that too.
 *
 * <p>The task runs on its own daemon thread, never on the JVM's signal thread; signals that arrive while it runs are
 * folded into one more run afterwards. Thread-safe.
 */
final class ReloadSignal {
    private ReloadSignal() {}

    /** What {@link #install} returns when {@code SIGHUP} was ignored when the process started. */
    static final String IGNORED = "SIGHUP is ignored by this process (started under nohup, or by a parent that ignores"
            + " it), so kill -HUP does not reach it";

    /**
     * Installs the handler.
     *
     * @param name a name for the worker thread
     * @param task what a signal runs (must not throw)
     * @return {@code null} when installed, else why not (no {@code sun.misc.Signal}, or {@code SIGHUP} ignored since
     *     the process started)
     */
    static String install(String name, Runnable task) {
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean pending = new AtomicBoolean();
        Runnable onSignal = () -> {
            if (pending.compareAndSet(false, true)) {
                worker.execute(() -> {
                    pending.set(false);
                    task.run();
                });
            }
        };
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object hup = signal.getConstructor(String.class).newInstance("HUP");
            InvocationHandler h = (Object proxy, Method m, Object[] args) -> {
                if (m.getName().equals("handle")) {
                    onSignal.run();
                    return null;
                }
                return switch (m.getName()) {
                    case "toString" -> "hygiene SIGHUP handler";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(m.getName());
                };
            };
            Object proxy = Proxy.newProxyInstance(ReloadSignal.class.getClassLoader(), new Class<?>[] {handler}, h);
            Object previous = signal.getMethod("handle", signal, handler).invoke(null, hup, proxy);
            if (previous == handler.getField("SIG_IGN").get(null)) {
                // The JVM leaves a signal that was ignored when it started (nohup) ignored and reports the old handler
                // as SIG_IGN: ours is recorded but never runs.
                worker.shutdown();
                return IGNORED;
            }
            return null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            worker.shutdown();
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
            return "SIGHUP is not available in this JVM (" + cause + ")";
        }
    }
}
