package org.mailhygiene.scanners;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * Compressed files and zips made by the real tools (bzip2, xz, 7z, Python's {@code zipfile}), for the archive readers'
 * tests: a missing tool skips the test, or fails it under CI.
 */
public final class CompressionTools {
    private CompressionTools() {}

    /** Runs a program with {@code input} on its standard input; its standard output. */
    public static byte[] run(byte[] input, String program, String packageHint, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(RealBinaries.require(program, packageHint).toString());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            Thread feeder = new Thread(() -> {
                try (OutputStream out = p.getOutputStream()) {
                    out.write(input);
                } catch (IOException e) {
                    // the program ended before reading it all: its exit code says so
                }
            });
            feeder.start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            feeder.join();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(cmd + " failed");
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(cmd + " interrupted", e);
        }
    }

    /** {@code bzip2 -c -LEVEL}. */
    public static byte[] bzip2(byte[] data, int level) {
        return run(data, "bzip2", "bzip2", "-c", "-" + level);
    }

    /** {@code bzip2 -c -9}. */
    public static byte[] bzip2(byte[] data) {
        return bzip2(data, 9);
    }

    /** {@code xz -c} with more options. */
    public static byte[] xz(byte[] data, String... options) {
        List<String> args = new ArrayList<>(List.of("-c"));
        args.addAll(List.of(options));
        return run(data, "xz", "xz-utils", args.toArray(String[]::new));
    }

    /** An LZMA-alone file ({@code xz --format=lzma -c}). */
    public static byte[] lzma(byte[] data) {
        return xz(data, "--format=lzma");
    }

    /** Entries by name, in order. */
    public static Map<String, byte[]> entries(Object... nameThenContent) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenContent.length; i += 2) {
            m.put((String) nameThenContent[i], (byte[]) nameThenContent[i + 1]);
        }
        return m;
    }

    /**
     * A zip written by Python's {@code zipfile}.
     *
     * @param method 12 (bzip2), 14 (LZMA), 8 (deflate) or 0 (stored)
     * @param toStream whether it is written to a stream that cannot seek: the sizes then follow each entry's data in a
     *     data descriptor
     */
    public static byte[] pythonZip(int method, boolean toStream, Map<String, byte[]> entries) {
        String script = String.join(
                "\n",
                "import io, sys, zipfile",
                "method, stream = int(sys.argv[1]), sys.argv[2] == '1'",
                "data = sys.stdin.buffer.read()",
                "class Out(io.RawIOBase):",
                "    def __init__(self): self.b = bytearray()",
                "    def writable(self): return True",
                "    def write(self, b): self.b += b; return len(b)",
                "    def seekable(self): return False",
                "out = Out() if stream else io.BytesIO()",
                "at = 0",
                "with zipfile.ZipFile(out, 'w', method) as z:",
                "    for spec in sys.argv[3:]:",
                "        name, n = spec.rsplit(':', 1)",
                "        with z.open(name, 'w') as f: f.write(data[at:at + int(n)])",
                "        at += int(n)",
                "sys.stdout.buffer.write(bytes(out.b) if stream else out.getvalue())");
        List<String> args = new ArrayList<>(List.of("-c", script, String.valueOf(method), toStream ? "1" : "0"));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            args.add(e.getKey() + ":" + e.getValue().length);
            all.writeBytes(e.getValue());
        }
        return run(all.toByteArray(), "python3", "python3", args.toArray(String[]::new));
    }

    /**
     * A 7z archive written by the real {@code 7z} tool (p7zip-full) from these files, in a temporary directory.
     *
     * @param entries the files by name (a name ending in {@code /} is an empty directory; names may hold {@code /})
     * @param options 7z's switches, e.g. {@code -m0=Deflate}, {@code -mx9}, {@code -pSECRET}
     */
    public static byte[] sevenZip(Map<String, byte[]> entries, String... options) {
        return sevenZipAdding(null, entries, options);
    }

    /**
     * A 7z archive to which the real {@code 7z} tool added these files: its folders kept, a new one for them (so
     * one archive can hold an encrypted folder and an unencrypted one).
     *
     * @param archive the archive added to, or {@code null} for a new one
     * @param entries the files by name, as {@link #sevenZip}'s
     * @param options 7z's switches for the files added
     */
    public static byte[] sevenZipAdding(byte[] archive, Map<String, byte[]> entries, String... options) {
        String tool = RealBinaries.require("7z", "p7zip-full").toString();
        java.nio.file.Path dir = null;
        try {
            dir = java.nio.file.Files.createTempDirectory("h7z-");
            if (archive != null) {
                java.nio.file.Files.write(dir.resolve("out.7z"), archive);
            }
            List<String> cmd = new ArrayList<>(List.of(tool, "a", "-bd", "-y", "-bso0", "-bsp0"));
            cmd.addAll(List.of(options));
            cmd.add("--");
            cmd.add("out.7z");
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                java.nio.file.Path f = dir.resolve(e.getKey());
                if (e.getKey().endsWith("/")) {
                    java.nio.file.Files.createDirectories(f);
                } else {
                    java.nio.file.Files.createDirectories(f.getParent());
                    java.nio.file.Files.write(f, e.getValue());
                }
                cmd.add(e.getKey());
            }
            Process p = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(cmd + " failed");
            }
            return java.nio.file.Files.readAllBytes(dir.resolve("out.7z"));
        } catch (IOException e) {
            throw new AssertionError("7z: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("7z interrupted", e);
        } finally {
            if (dir != null) {
                try (var walk = java.nio.file.Files.walk(dir)) {
                    walk.sorted(java.util.Comparator.reverseOrder())
                            .forEach(f -> f.toFile().delete());
                } catch (IOException e) {
                    // a temporary directory left behind
                }
            }
        }
    }

    /** US-ASCII bytes. */
    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
