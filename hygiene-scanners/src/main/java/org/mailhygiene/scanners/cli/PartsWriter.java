package org.mailhygiene.scanners.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.mailhygiene.api.Message;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.MimeWalkResult;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;

/**
 * {@link InputMode#PARTS}: the raw message as {@code message.eml}, then every decoded MIME leaf as {@code part-N.ext}.
 * The extension is the attachment's own when it is one to ten ASCII letters or digits, else {@code bin}; nothing else
 * of the attachment's name reaches the file system. A MIME limit (depth, parts, decoded bytes) stops the write with a
 * {@link InputWriter.LimitException}: parts past the limit would go unscanned.
 */
final class PartsWriter implements InputWriter {
    private static final Pattern SAFE_EXTENSION = Pattern.compile("[A-Za-z0-9]{1,10}");

    private final MimeWalker walker;

    PartsWriter(MimeWalker walker) {
        this.walker = Objects.requireNonNull(walker, "walker");
    }

    @Override
    public List<InputFile> write(Message message, Path dir) throws IOException {
        List<InputFile> files = new ArrayList<>();
        files.add(InputWriter.writeMessage(message, dir));
        MimeWalkResult result = walker.walk(message.content(), (part, decoded) -> {
            int n = files.size();
            Path file = dir.resolve("part-" + n + "." + extension(part));
            CommandLineScanner.copy(decoded, file);
            files.add(new InputFile(file, label(part)));
            return true;
        });
        if (result.limitReached()) {
            throw new LimitException("MIME limit reached while writing parts for the scanner: "
                    + result.findings().stream()
                            .filter(f -> f.kind().isLimit())
                            .map(MimeFinding::detail)
                            .collect(Collectors.joining("; ")));
        }
        return files;
    }

    static String extension(PartInfo part) {
        String name = part.fileName().orElse("");
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return SAFE_EXTENSION.matcher(ext).matches() ? ext : "bin";
    }

    static String label(PartInfo part) {
        String where = "part " + (part.path().isEmpty() ? "body" : part.path()) + ", " + part.mimeType();
        return part.fileName()
                .map(n -> "attachment \"" + printable(n) + "\" (" + where + ")")
                .orElse(where);
    }

    /** Control characters (newlines included) become {@code ?}, so a label stays one line. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return sb.toString();
    }
}
