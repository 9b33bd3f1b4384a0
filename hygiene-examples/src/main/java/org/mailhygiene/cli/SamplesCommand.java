package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.SampleMessages.Sample;

/**
 * {@code hygiene samples [--force] DIR}: writes every {@link SampleMessages sample message} (clean, EICAR attachment,
 * EICAR in a zip, GTUBE, Japanese ISO-2022-JP, empty Subject, no Subject) as an {@code .eml} file into {@code DIR},
 * creating it if needed, and prints each file's path.
 *
 * <p>The EICAR samples are generated here, at run time, so the repository never holds a file that virus scanners
 * flag. A file that already exists with the same bytes is left alone; one with other bytes is only replaced with
 * {@code --force}, and without it nothing at all is written. Files are written to a temporary name and moved into
 * place. Exit status 0 on success, 2 on any error.
 */
public final class SamplesCommand implements Command {

    /** Creates the command. */
    public SamplesCommand() {}

    @Override
    public String name() {
        return "samples";
    }

    @Override
    public String summary() {
        return "write the sample messages (clean, EICAR, GTUBE, Japanese, ...) to a directory";
    }

    @Override
    public String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: hygiene samples [--force] DIR\n\n");
        sb.append("Writes these sample messages into DIR (created if missing):\n");
        for (Sample s : Sample.values()) {
            sb.append(String.format("  %-22s %s\n", s.fileName(), describe(s)));
        }
        sb.append("\nThe EICAR files are the harmless anti-virus test file; they are generated, never stored.\n");
        sb.append("Try: hygiene samples /tmp/hygiene-samples && hygiene scan --builtin /tmp/hygiene-samples\n\n");
        sb.append("options:\n");
        sb.append(String.format("  %-22s %s\n", "--force", "replace files that exist with other content"));
        sb.append(String.format("  %-22s %s\n", "-h, --help", "show this help"));
        return sb.toString();
    }

    private static String describe(Sample s) {
        return switch (s) {
            case CLEAN -> "a clean plain-text message";
            case EICAR_ATTACHMENT -> "the EICAR test virus as a base64 attachment";
            case EICAR_ZIP -> "the EICAR test virus inside a zip attachment";
            case GTUBE -> "the GTUBE spam test string";
            case JAPANESE_ISO_2022_JP -> "a legitimate Japanese message in ISO-2022-JP";
            case EMPTY_SUBJECT -> "a clean message with an empty Subject";
            case NO_SUBJECT -> "a clean message without a Subject";
        };
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        boolean force = false;
        String dirName = null;
        for (String a : args) {
            switch (a) {
                case "--force" -> force = true;
                case "-h", "--help" -> {
                    io.out().print(usage());
                    return EXIT_OK;
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new UsageException("unknown option " + a);
                    }
                    if (dirName != null) {
                        throw new UsageException("give exactly one directory, not " + dirName + " and " + a);
                    }
                    dirName = a;
                }
            }
        }
        if (dirName == null) {
            throw new UsageException("no directory given");
        }
        Path dir;
        try {
            dir = Path.of(dirName);
        } catch (InvalidPathException e) {
            throw new UsageException("invalid directory name: " + e.getReason());
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            io.err().println("hygiene samples: " + dir + " exists and is not a directory; nothing written");
            return EXIT_ERROR;
        }
        try {
            Files.createDirectories(dir);
            List<Sample> toWrite = new ArrayList<>();
            List<String> conflicts = new ArrayList<>();
            for (Sample s : Sample.values()) {
                Path file = dir.resolve(s.fileName());
                if (!Files.exists(file)) {
                    toWrite.add(s);
                } else if (!Files.isRegularFile(file)) {
                    conflicts.add(file + " exists and is not a regular file");
                } else if (!Arrays.equals(Files.readAllBytes(file), s.bytes())) {
                    if (force) {
                        toWrite.add(s);
                    } else {
                        conflicts.add(file + " exists with other content (use --force to replace it)");
                    }
                }
            }
            if (!conflicts.isEmpty()) {
                conflicts.forEach(c -> io.err().println("hygiene samples: " + c));
                io.err().println("hygiene samples: nothing written");
                return EXIT_ERROR;
            }
            for (Sample s : Sample.values()) {
                Path file = dir.resolve(s.fileName());
                if (toWrite.contains(s)) {
                    write(file, s.bytes());
                    io.out().println(file);
                } else {
                    io.out().println(file + " (unchanged)");
                }
            }
            return EXIT_OK;
        } catch (IOException e) {
            // "DIR: permission denied", not the JDK's "java.nio.file.AccessDeniedException: DIR"
            io.err().println("hygiene samples: " + IoErrors.describe(dir, e));
            return EXIT_ERROR;
        }
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".sample-", ".tmp");
        try {
            Files.write(tmp, bytes);
            if (Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                // createTempFile makes the file owner-only; samples are for other programs (clamd, spamc) too.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
