package org.mailhygiene.scanners.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import org.mailhygiene.api.Message;

/** Writes a message into the scanner's private input directory, as an {@link InputMode} asks. */
interface InputWriter {

    /** A limit stopped the writer before all of the message was written. */
    final class LimitException extends IOException {
        private static final long serialVersionUID = 1L;

        LimitException(String message) {
            super(message);
        }
    }

    List<InputFile> write(Message message, Path dir) throws IOException;

    static InputWriter message() {
        return (message, dir) -> List.of(writeMessage(message, dir));
    }

    static InputFile writeMessage(Message message, Path dir) throws IOException {
        Path file = dir.resolve("message.eml");
        try (InputStream in = message.content().openStream()) {
            CommandLineScanner.copy(in, file);
        }
        return new InputFile(file, "message");
    }
}
