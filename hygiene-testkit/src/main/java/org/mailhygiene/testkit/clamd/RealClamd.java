package org.mailhygiene.testkit.clamd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.internal.FileTrees;

/**
 * Runs the installed {@code clamd} for tests: a private temporary directory (short, under {@code /tmp}, so the unix
 * socket path fits), a generated {@code clamd.conf} ({@code Foreground yes}, {@code TCPAddr 127.0.0.1} on a free
 * port, {@code LocalSocket}, {@code AlertExceedsMax yes}, the chosen {@code StreamMaxLength} and {@code MaxFileSize})
 * and a generated signature database, so no freshclam download is needed.
 *
 * <p>The database always holds a body signature for EICAR ({@value #EICAR_NDB_NAME}, reported with clamd's
 * {@code .UNOFFICIAL} suffix; a hash signature would miss EICAR followed by CRLF as it appears in mail) and a body
 * signature for the test marker {@value #TEST_MARKER} ({@value #MARKER_NDB_NAME}), plus any signatures added with
 * {@link Builder#bodySignature}. {@link #addSignatureFile} drops a new database file in place for a later RELOAD;
 * {@link #writeDailyDatabase} writes an unsigned daily database ({@code daily.cud}) so that {@code VERSION} reports a
 * database version, as with freshclam's databases.
 *
 * <p>{@link Builder#start()} returns once clamd answers {@code PONG} (or throws with the log's tail); {@link #close()}
 * stops it (SIGTERM, then SIGKILL after 10 s) and deletes the directory; {@link #kill()} kills it at once, as a crash
 * would. Thread-safe.
 */
public final class RealClamd implements AutoCloseable {
    /** The EICAR body signature's name in the generated database. */
    public static final String EICAR_NDB_NAME = "Local.Eicar.NDB";
    /** A custom test marker detected by the generated database. */
    public static final String TEST_MARKER = "MAILHYGIENE-TEST-SIGNATURE";
    /** The custom marker's signature name. */
    public static final String MARKER_NDB_NAME = "Local.MailHygiene.Marker.NDB";
    /** The suffix clamd adds to names from unsigned local databases. */
    public static final String UNOFFICIAL = ".UNOFFICIAL";
    /** The {@code clamd.conf} options this class writes itself and {@link Builder#configLine} refuses. */
    private static final String MANAGED_OPTIONS =
            "Foreground, DatabaseDirectory, TemporaryDirectory, LocalSocket, FixStaleSocket, TCPSocket, TCPAddr, LogFile,"
                    + " PidFile";

    private final Path binary;
    private final Path dir;
    private final Path socket;
    private final int port;
    private final Process process;

    private RealClamd(Path binary, Path dir, Path socket, int port, Process process) {
        this.binary = binary;
        this.dir = dir;
        this.socket = socket;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a builder.
     *
     * @param binary the clamd program, e.g. {@code /usr/sbin/clamd}
     * @return a builder: stream limit 25 MiB, MaxFileSize 25 MiB, MaxThreads 4
     */
    public static Builder builder(Path binary) {
        return new Builder(binary);
    }

    /**
     * The TCP port on 127.0.0.1.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The TCP address.
     *
     * @return {@code 127.0.0.1:PORT}
     */
    public String tcpAddress() {
        return "127.0.0.1:" + port;
    }

    /**
     * The unix socket address.
     *
     * @return {@code unix:/path}
     */
    public String unixAddress() {
        return "unix:" + socket;
    }

    /**
     * The unix socket path.
     *
     * @return the path
     */
    public Path socketPath() {
        return socket;
    }

    /**
     * The database directory.
     *
     * @return the path
     */
    public Path databaseDirectory() {
        return dir.resolve("db");
    }

    /**
     * The clamd configuration file, for {@code clamdscan -c}.
     *
     * @return the path
     */
    public Path configFile() {
        return dir.resolve("clamd.conf");
    }

    /**
     * clamd's process id.
     *
     * @return the pid
     */
    public long pid() {
        return process.pid();
    }

    /**
     * Whether clamd is still running.
     *
     * @return {@code true} while the process lives
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Writes a database file into the database directory; clamd loads it on the next RELOAD. Write lines clamd
     * accepts: one malformed line stops the whole reload.
     *
     * @param fileName e.g. {@code extra.ndb}
     * @param lines the signature lines
     * @throws UncheckedIOException if the file cannot be written
     */
    public void addSignatureFile(String fileName, List<String> lines) {
        try {
            Path tmp = dir.resolve(fileName + ".tmp");
            Files.write(tmp, lines, StandardCharsets.US_ASCII);
            Files.move(tmp, databaseDirectory().resolve(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes (or replaces) a {@code daily.cud} in the database directory: an unsigned container clamd loads like the
     * official daily database, so {@code VERSION} then answers {@code ClamAV X.Y.Z/VERSION/DATE}, as with a
     * freshclam-maintained database. clamd loads it on the next RELOAD (or at start).
     *
     * @param version the database version, positive
     * @param ndbLines body signature lines for the container's {@code daily.ndb} (see {@link #ndbLine}); at least one
     * @throws IllegalArgumentException if the version is not positive or there are no lines
     * @throws UncheckedIOException if the file cannot be written
     */
    public void writeDailyDatabase(long version, List<String> ndbLines) {
        if (version <= 0 || ndbLines.isEmpty()) {
            throw new IllegalArgumentException("a daily database needs a positive version and at least one line");
        }
        try {
            Path tmp = dir.resolve("daily.cud.tmp");
            Files.write(tmp, dailyContainer(version, ndbLines, Instant.now().getEpochSecond()));
            Files.move(tmp, databaseDirectory().resolve("daily.cud"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A CVD-format container: a 512-byte header, then a tar of {@code daily.info} (the header again and the size and
     * SHA-256 of each member) and {@code daily.ndb}.
     */
    static byte[] dailyContainer(long version, List<String> ndbLines, long epochSeconds) throws IOException {
        byte[] ndb = (String.join("\n", ndbLines) + "\n").getBytes(StandardCharsets.US_ASCII);
        String header = "ClamAV-VDB:"
                + DateTimeFormatter.ofPattern("dd MMM yyyy HH-mm Z", Locale.ROOT)
                        .format(Instant.ofEpochSecond(epochSeconds).atOffset(ZoneOffset.UTC))
                + ":" + version + ":" + ndbLines.size() + ":90:X:X:mailhygiene:" + epochSeconds;
        String sha;
        try {
            sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ndb));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] info = (header + "\ndaily.ndb:" + ndb.length + ":" + sha + "\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = new byte[512];
        Arrays.fill(head, (byte) ' ');
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(h, 0, head, 0, h.length);
        out.write(head);
        tarEntry(out, "daily.info", info, epochSeconds);
        tarEntry(out, "daily.ndb", ndb, epochSeconds);
        out.write(new byte[1024]);
        return out.toByteArray();
    }

    private static void tarEntry(ByteArrayOutputStream out, String name, byte[] data, long mtime) throws IOException {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format(Locale.ROOT, "%011o\0", data.length));
        put(h, 136, String.format(Locale.ROOT, "%011o\0", mtime));
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format(Locale.ROOT, "%06o\0 ", sum));
        out.write(h);
        out.write(data);
        out.write(new byte[(512 - data.length % 512) % 512]);
    }

    private static void put(byte[] block, int at, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, block, at, b.length);
    }

    /**
     * An {@code .ndb} line matching {@code marker} anywhere in any file.
     *
     * @param name the signature name (clamd reports it with {@value #UNOFFICIAL})
     * @param marker the bytes to match
     * @return the line
     */
    public static String ndbLine(String name, byte[] marker) {
        return name + ":0:*:" + HexFormat.of().formatHex(marker);
    }

    /**
     * The log so far.
     *
     * @return clamd's log file and console output
     */
    public String log() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("clamd.log", "console.log")) {
            try {
                sb.append(Files.readString(dir.resolve(f), StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                // not there yet
            }
        }
        return sb.toString();
    }

    /** Kills clamd at once (SIGKILL), as a crash would. The directory stays until {@link #close()}. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops clamd (SIGTERM, SIGKILL after 10 s) and deletes its directory. Idempotent. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            FileTrees.deleteTreeQuietly(dir);
        }
    }

    @Override
    public String toString() {
        return "RealClamd[" + binary + " pid " + process.pid() + " " + tcpAddress() + " " + unixAddress() + "]";
    }

    /** Sends {@code zPING\0} on TCP; returns whether {@code PONG} came back. */
    static boolean ping(int port, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write("zPING\0".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] b = in.readNBytes(5);
            return new String(b, StandardCharsets.US_ASCII).equals("PONG\0");
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether clamd answers {@code PONG} on its unix socket within {@code timeout}. */
    static boolean pingUnix(Path socket, Duration timeout) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (java.nio.channels.SocketChannel ch =
                java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            ch.write(java.nio.ByteBuffer.wrap("zPING\0".getBytes(StandardCharsets.US_ASCII)));
            java.nio.ByteBuffer reply = java.nio.ByteBuffer.allocate(5);
            long end = System.nanoTime() + timeout.toNanos();
            ch.configureBlocking(false);
            while (reply.hasRemaining() && System.nanoTime() < end) {
                if (ch.read(reply) < 0) {
                    break;
                }
                if (reply.hasRemaining()) {
                    Thread.sleep(5);
                }
            }
            return new String(reply.array(), 0, reply.position(), StandardCharsets.US_ASCII).equals("PONG\0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Builds and starts a {@link RealClamd}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final Path binary;
        private long streamMaxLength = 25L * 1024 * 1024;
        private long maxFileSize = 25L * 1024 * 1024;
        private int maxThreads = 4;
        private final Map<String, byte[]> bodySignatures = new LinkedHashMap<>();
        private final List<String> extraConfig = new ArrayList<>();
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder(Path binary) {
            this.binary = Objects.requireNonNull(binary, "binary");
        }

        /**
         * clamd's {@code StreamMaxLength}. Default 25 MiB.
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder streamMaxLength(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("streamMaxLength must be positive");
            }
            streamMaxLength = bytes;
            return this;
        }

        /**
         * clamd's {@code MaxFileSize} (with {@code AlertExceedsMax yes} a larger file is reported as
         * {@code Heuristics.Limits.Exceeded.MaxFileSize}). Default 25 MiB.
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxFileSize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxFileSize must be positive");
            }
            maxFileSize = bytes;
            return this;
        }

        /**
         * clamd's {@code MaxThreads}. Default 4.
         *
         * @param n 1..64
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxThreads(int n) {
            if (n < 1 || n > 64) {
                throw new IllegalArgumentException("maxThreads must be 1..64");
            }
            maxThreads = n;
            return this;
        }

        /**
         * Adds a body signature to the generated database.
         *
         * @param name the signature name (reported with {@value #UNOFFICIAL})
         * @param bytes the bytes to match anywhere, at least 4
         * @return this builder
         * @throws IllegalArgumentException if fewer than 4 bytes or the name is taken
         */
        public Builder bodySignature(String name, byte[] bytes) {
            Objects.requireNonNull(name, "name");
            if (bytes.length < 4) {
                throw new IllegalArgumentException("a body signature needs at least 4 bytes");
            }
            if (bodySignatures.containsKey(name) || name.equals(EICAR_NDB_NAME) || name.equals(MARKER_NDB_NAME)) {
                throw new IllegalArgumentException("signature name " + name + " used twice");
            }
            bodySignatures.put(name, bytes.clone());
            return this;
        }

        /**
         * Adds a raw {@code clamd.conf} line, e.g. {@code MaxScanSize 10M}; it replaces the generated line of the same
         * option, if any (clamd would take the first of two), e.g. {@code AlertExceedsMax no} for a clamd as Debian
         * configures it. The options this class manages itself ({@code Foreground}, {@code DatabaseDirectory},
         * {@code TemporaryDirectory}, {@code LocalSocket}, {@code FixStaleSocket}, {@code TCPSocket}, {@code TCPAddr},
         * {@code LogFile}, {@code PidFile}) are refused: replacing {@code TCPSocket}, say, left {@link #start()}
         * waiting for a {@code PONG} on the generated port until its timeout, three times, and
         * {@link RealClamd#port()}, {@link RealClamd#log()} and the socket path named what clamd did not use.
         *
         * @param line the line, {@code OPTION VALUE}
         * @return this builder
         * @throws IllegalArgumentException if the line is blank or sets an option this class manages
         */
        public Builder configLine(String line) {
            Objects.requireNonNull(line, "line");
            String option = line.strip().split("\\s+", 2)[0];
            if (option.isEmpty()) {
                throw new IllegalArgumentException("a clamd.conf line must not be blank");
            }
            for (String managed : MANAGED_OPTIONS.split(", ")) {
                if (managed.equalsIgnoreCase(option)) {
                    throw new IllegalArgumentException("clamd.conf option " + option
                            + " is set by RealClamd itself (its port, socket, files and foreground process are what"
                            + " port(), socketPath(), log() and close() rely on); configLine cannot replace it");
                }
            }
            extraConfig.add(line);
            return this;
        }

        /**
         * How long to wait for the first {@code PONG}. Default 60 s.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder startTimeout(Duration value) {
            startTimeout = org.mailhygiene.internal.Checks.requirePositive(value, "startTimeout");
            return this;
        }

        /**
         * Writes the configuration and database, starts clamd and waits for {@code PONG}. Retries with another port
         * when the chosen one was taken meanwhile.
         *
         * @return the running clamd
         * @throws IOException if files cannot be written or clamd does not come up (the message has the log's tail)
         * @throws InterruptedException if interrupted while waiting
         */
        public RealClamd start() throws IOException, InterruptedException {
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                Path dir = Files.createTempDirectory(Path.of("/tmp"), "clamd");
                try {
                    return startIn(dir);
                } catch (IOException e) {
                    last = e;
                    FileTrees.deleteTreeQuietly(dir);
                } catch (InterruptedException | RuntimeException e) {
                    FileTrees.deleteTreeQuietly(dir);
                    throw e;
                }
            }
            throw last;
        }

        private RealClamd startIn(Path dir) throws IOException, InterruptedException {
            Path db = Files.createDirectory(dir.resolve("db"));
            Files.createDirectory(dir.resolve("tmp"));
            List<String> ndb = new ArrayList<>();
            ndb.add(ndbLine(EICAR_NDB_NAME, Eicar.bodyMarker().getBytes(StandardCharsets.US_ASCII)));
            ndb.add(ndbLine(MARKER_NDB_NAME, TEST_MARKER.getBytes(StandardCharsets.US_ASCII)));
            bodySignatures.forEach((n, b) -> ndb.add(ndbLine(n, b)));
            Files.write(db.resolve("mailhygiene.ndb"), ndb, StandardCharsets.US_ASCII);
            int port = freePort();
            Path socket = dir.resolve("clamd.sock");
            List<String> conf = new ArrayList<>(List.of(
                    "Foreground yes",
                    "DatabaseDirectory " + db,
                    "TemporaryDirectory " + dir.resolve("tmp"),
                    "LocalSocket " + socket,
                    "FixStaleSocket yes",
                    "TCPSocket " + port,
                    "TCPAddr 127.0.0.1",
                    "LogFile " + dir.resolve("clamd.log"),
                    "LogTime yes",
                    "PidFile " + dir.resolve("clamd.pid"),
                    "StreamMaxLength " + streamMaxLength,
                    "MaxFileSize " + maxFileSize,
                    "MaxScanSize " + Math.max(maxFileSize, 100L * 1024 * 1024),
                    "MaxThreads " + maxThreads,
                    "AlertExceedsMax yes",
                    "ScanMail yes",
                    "ScanArchive yes",
                    "SelfCheck 0"));
            for (String line : extraConfig) {
                // clamd takes the first of two lines for one option: a line given replaces the generated one
                String option = line.strip().split("\\s+", 2)[0];
                conf.removeIf(l -> l.split(" ", 2)[0].equalsIgnoreCase(option));
                conf.add(line);
            }
            Path confFile = dir.resolve("clamd.conf");
            Files.write(confFile, conf, StandardCharsets.US_ASCII);
            Process p = new ProcessBuilder(binary.toString(), "-c", confFile.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("console.log").toFile())
                    .start();
            RealClamd clamd = new RealClamd(binary, dir, socket, port, p);
            long end = System.nanoTime() + startTimeout.toNanos();
            while (System.nanoTime() < end) {
                if (!p.isAlive()) {
                    throw new IOException("clamd exited with status " + p.exitValue() + " before answering PING: "
                            + tail(clamd.log()));
                }
                // PONG on the private unix socket first: a PONG on the port alone may come from another clamd (a
                // second test run) that took the port after it was found free, while this one, still loading, is
                // about to fail to bind it. clamd binds both sockets before it serves either, and exits when one
                // cannot be bound: a PONG on its own socket says the port is its own.
                if (pingUnix(socket, Duration.ofSeconds(2)) && ping(port, Duration.ofSeconds(2))) {
                    return clamd;
                }
                Thread.sleep(25);
            }
            String log = clamd.log();
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new IOException("clamd did not answer PING within " + startTimeout + ": " + tail(log));
        }

        private static String tail(String log) {
            return log.length() <= 2000 ? log : log.substring(log.length() - 2000);
        }
    }
}
