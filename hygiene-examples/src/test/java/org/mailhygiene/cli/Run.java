package org.mailhygiene.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The outcome of running the tool in-process: exit status and captured output. */
record Run(int status, String out, String err) {

    /** Runs {@code hygiene args...} with the standard commands and empty standard input. */
    static Run main(String... args) {
        return with(Main.commands(), new byte[0], args);
    }

    /** Runs {@code hygiene args...} with the standard commands and the given standard input. */
    static Run mainWithStdin(byte[] stdin, String... args) {
        return with(Main.commands(), stdin, args);
    }

    /** Runs {@code hygiene args...} with the given commands. */
    static Run with(List<Command> commands, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Io io = new Io(
                new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        int status = Main.run(List.of(args), io, commands);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Standard output split into lines. */
    List<String> outLines() {
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }
}
