package org.mailhygiene.scanners.update;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;

/**
 * An {@link UpdateStep} that runs an external program (no shell) and succeeds when it exits with one of the accepted
 * exit statuses before its timeout. Standard error is merged into standard output; the last
 * {@value #OUTPUT_TAIL_BYTES} bytes of it go into the step's detail or failure message. A command that overruns its
 * timeout is destroyed (then forcibly after 5 s) and the step fails.
 *
 * <p>Defaults: timeout 10 min, accepted exit statuses {@code {0}}, the current working directory.
 *
 * <p>Immutable and thread-safe; each run starts a new process.
 */
public final class CommandStep implements UpdateStep {
    /** How many trailing output bytes are kept for reports. */
    public static final int OUTPUT_TAIL_BYTES = 2048;
    /** Default timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private final String name;
    private final List<String> command;
    private final Duration timeout;
    private final Set<Integer> successExitCodes;
    private final Optional<Path> directory;

    private CommandStep(Builder b) {
        this.name = b.name;
        this.command = b.command;
        this.timeout = b.timeout;
        this.successExitCodes = b.successExitCodes;
        this.directory = b.directory;
    }

    /**
     * Starts a builder.
     *
     * @param name the step's name, e.g. {@code freshclam}
     * @param command the program and its arguments, e.g. {@code [/usr/bin/freshclam, --quiet]}
     * @return a new builder
     * @throws IllegalArgumentException if the name is blank or the command empty or has a blank program
     */
    public static Builder builder(String name, List<String> command) {
        return new Builder(name, command);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The command line.
     *
     * @return an unmodifiable list
     */
    public List<String> command() {
        return command;
    }

    /**
     * The timeout.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The exit statuses that mean success.
     *
     * @return an unmodifiable set
     */
    public Set<Integer> successExitCodes() {
        return successExitCodes;
    }

    /**
     * Runs the command.
     *
     * @return {@code exit N: <output tail>}
     * @throws IOException if it cannot start, overruns its timeout or exits with an unaccepted status
     * @throws InterruptedException if interrupted; the process is destroyed
     */
    @Override
    public String run() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        directory.ifPresent(d -> pb.directory(d.toFile()));
        Process p = pb.start();
        Tail tail = new Tail(p.getInputStream());
        Thread reader = new Thread(tail, name + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                kill(p);
                reader.join(1000);
                throw new IOException(name + ": " + command.get(0) + " did not finish within "
                        + Durations.format(timeout) + "; killed. Output: " + tail.text());
            }
            reader.join(5000);
            int exit = p.exitValue();
            String detail = "exit " + exit + (tail.text().isEmpty() ? "" : ": " + tail.text());
            if (!successExitCodes.contains(exit)) {
                throw new IOException(name + ": " + command.get(0) + " failed with " + detail);
            }
            return detail;
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "CommandStep[" + name + " " + command + " timeout=" + timeout + "]";
    }

    /** Keeps the last bytes of a stream. */
    private static final class Tail implements Runnable {
        private final InputStream in;
        private final byte[] ring = new byte[OUTPUT_TAIL_BYTES];
        private long count;

        Tail(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buf = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (count++ % ring.length)] = buf[i];
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process ended or was killed; keep what arrived
            }
        }

        synchronized String text() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long start = Math.max(0, count - ring.length);
            for (long i = start; i < count; i++) {
                out.write(ring[(int) (i % ring.length)]);
            }
            return out.toString(StandardCharsets.UTF_8).strip().replaceAll("\\s*\\R\\s*", " | ");
        }
    }

    /** Builds a {@link CommandStep}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final List<String> command;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Set<Integer> successExitCodes = Set.of(0);
        private Optional<Path> directory = Optional.empty();

        private Builder(String name, List<String> command) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("update step name must not be blank");
            }
            this.command = List.copyOf(Objects.requireNonNull(command, "command"));
            if (this.command.isEmpty() || this.command.get(0).isBlank()) {
                throw new IllegalArgumentException("update step " + name + ": the command needs a program");
            }
            this.name = name;
        }

        /**
         * How long the command may run. Default 10 min.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder timeout(Duration value) {
            timeout = Checks.requirePositive(value, "update step " + name + ": timeout");
            return this;
        }

        /**
         * Exit statuses that mean success. Default {@code {0}}.
         *
         * @param codes at least one status
         * @return this builder
         * @throws IllegalArgumentException if empty
         */
        public Builder successExitCodes(Set<Integer> codes) {
            Set<Integer> c = Set.copyOf(codes);
            if (c.isEmpty()) {
                throw new IllegalArgumentException("update step " + name + ": at least one success exit code");
            }
            successExitCodes = c;
            return this;
        }

        /**
         * The working directory. Default: the current one.
         *
         * @param value an existing directory
         * @return this builder
         */
        public Builder directory(Path value) {
            directory = Optional.of(Objects.requireNonNull(value, "directory"));
            return this;
        }

        /**
         * Builds the step.
         *
         * @return a new step
         */
        public CommandStep build() {
            return new CommandStep(this);
        }
    }
}
