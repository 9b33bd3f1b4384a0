package org.mailhygiene.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block in README.md and docs/*.md compiles as written, imports included, against the project's
 * classes (this module's test class path: api, scanners, smtp, testkit and their dependencies, JUnit and AssertJ).
 *
 * <p>A block is one of: a whole compilation unit (it declares a class, record or interface); imports followed by
 * members (methods or fields), which are put inside a class; or imports followed by statements, which are put inside a
 * method that may throw anything. So a block may leave out the class around its code, but never an import.
 */
class ReadmeJavaBlocksCompileTest {
    private static final Pattern BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```", Pattern.DOTALL);
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(static\\s+)?[\\w.]+(\\.\\*)?\\s*;\\s*$");
    private static final Pattern TYPE =
            Pattern.compile("(?m)^(public\\s+)?(final\\s+)?(class|record|interface|enum)\\s+(\\w+)");
    private static final Pattern MEMBER = Pattern.compile("(?m)^(public|private|protected|static)\\b");

    record Block(Path file, int line, String code) {
        String where() {
            return file + ":" + line;
        }
    }

    static List<Block> blocks() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(Path.of("../README.md"));
        try (Stream<Path> docs = Files.list(Path.of("../docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Block> out = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f);
            Matcher m = BLOCK.matcher(text);
            while (m.find()) {
                int line = (int) text.substring(0, m.start())
                                .chars()
                                .filter(c -> c == '\n')
                                .count()
                        + 2;
                out.add(new Block(f.normalize(), line, m.group(1)));
            }
        }
        return out;
    }

    /** Turns a block into a compilation unit named {@code className} (unless it declares its own types). */
    static String unit(Block b, String className) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        boolean inImports = true;
        for (String l : b.code().split("\n", -1)) {
            if (inImports && (l.isBlank() || IMPORT.matcher(l.strip()).matches())) {
                imports.append(l).append('\n');
                continue;
            }
            inImports = false;
            body.append(l).append('\n');
        }
        if (TYPE.matcher(body).find()) {
            return b.code();
        }
        if (MEMBER.matcher(body).find()) {
            return imports + "class " + className + " {\n" + body + "}\n";
        }
        return imports + "class " + className + " {\n    void run() throws Throwable {\n" + body + "    }\n}\n";
    }

    @Test
    void theReadmeHasJavaBlocks() throws IOException {
        assertThat(blocks()).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void everyJavaBlockCompilesAsWritten(@TempDir Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler").isNotNull();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (Block b : blocks()) {
            n++;
            String fallback = "ReadmeBlock" + n;
            String unit = unit(b, fallback);
            Matcher type = TYPE.matcher(unit);
            String name = type.find() ? type.group(4) : fallback;
            JavaFileObject source =
                    new SimpleJavaFileObject(URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
                        @Override
                        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                            return unit;
                        }
                    };
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            boolean ok = javac.getTask(
                            null,
                            null,
                            diagnostics,
                            List.of("-classpath", classPath, "-d", out.toString(), "-proc:none", "--release", "17"),
                            null,
                            List.of(source))
                    .call();
            if (!ok) {
                StringBuilder why = new StringBuilder(b.where() + " does not compile:");
                for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                    if (d.getKind() == Diagnostic.Kind.ERROR) {
                        why.append("\n  line ")
                                .append(d.getLineNumber())
                                .append(": ")
                                .append(d.getMessage(Locale.ROOT));
                    }
                }
                why.append("\n--- as compiled ---\n").append(unit);
                failures.add(why.toString());
            }
        }
        assertThat(failures).as("README/docs Java blocks that do not compile").isEmpty();
    }
}
