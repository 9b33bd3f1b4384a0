package org.mailhygiene.scanners.update;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * One step of a signature update run: an update command (freshclam, Vexira's updater), a reload of scanner daemons,
 * or any other action. A {@link SignatureUpdateScheduler} runs its steps in order and stops at the first that fails.
 *
 * <p>Implementations must be safe to run from the scheduler's thread; a scheduler never runs two of its own runs at
 * once, so a step is not run concurrently by the same scheduler.
 */
public interface UpdateStep {

    /**
     * A short name for reports, e.g. {@code freshclam} or {@code clamd-reload}.
     *
     * @return a non-blank name
     */
    String name();

    /**
     * Runs the step.
     *
     * @return a one-line description of what happened, for the run's report
     * @throws InterruptedException if interrupted (the run stops and is reported as failed)
     * @throws Exception if the step failed; its message becomes part of the run's report
     */
    String run() throws Exception;

    /**
     * A step from a callable.
     *
     * @param name the step's name
     * @param action returns the step's detail; throws on failure
     * @return the step
     * @throws IllegalArgumentException if the name is blank
     */
    static UpdateStep of(String name, Callable<String> action) {
        Objects.requireNonNull(action, "action");
        String n = requireName(name);
        return new UpdateStep() {
            @Override
            public String name() {
                return n;
            }

            @Override
            public String run() throws Exception {
                return String.valueOf(action.call());
            }

            @Override
            public String toString() {
                return "UpdateStep[" + n + "]";
            }
        };
    }

    /**
     * A step that runs an external command; see {@link CommandStep} for its behaviour and defaults.
     *
     * @param name the step's name
     * @param command the program and its arguments (no shell)
     * @param timeout how long the command may run before it is killed and the step fails
     * @return the step
     * @throws IllegalArgumentException if the name is blank, the command empty or the timeout not positive
     */
    static UpdateStep command(String name, List<String> command, Duration timeout) {
        return CommandStep.builder(name, command).timeout(timeout).build();
    }

    private static String requireName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("update step name must not be blank");
        }
        return name;
    }
}
