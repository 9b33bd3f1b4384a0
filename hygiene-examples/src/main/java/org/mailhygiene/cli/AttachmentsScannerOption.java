package org.mailhygiene.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.attachments.AttachmentPolicy;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;

/**
 * {@code --attachments} (the default policy) and {@code --attachment-policy FILE} (a policy in the text format of
 * {@link AttachmentPolicy#parse}): the in-process {@link AttachmentPolicyScanner}. Stateless.
 */
public final class AttachmentsScannerOption implements ScannerOption {
    private final boolean withFile;

    private AttachmentsScannerOption(boolean withFile) {
        this.withFile = withFile;
    }

    /**
     * The {@code --attachments} switch.
     *
     * @return the option
     */
    public static AttachmentsScannerOption defaultPolicy() {
        return new AttachmentsScannerOption(false);
    }

    /**
     * The {@code --attachment-policy FILE} option.
     *
     * @return the option
     */
    public static AttachmentsScannerOption policyFile() {
        return new AttachmentsScannerOption(true);
    }

    @Override
    public String flag() {
        return withFile ? "--attachment-policy" : "--attachments";
    }

    @Override
    public Optional<String> argumentName() {
        return withFile ? Optional.of("FILE") : Optional.empty();
    }

    @Override
    public String description() {
        return withFile
                ? "the attachment policy with the rules in FILE (see AttachmentPolicy)"
                : "attachment policy: executables, double extensions, type mismatches, encrypted zips";
    }

    @Override
    public Scanner create(Optional<String> argument) throws UsageException {
        if (!withFile) {
            return AttachmentPolicyScanner.create();
        }
        String file = argument.orElseThrow(() -> new UsageException("--attachment-policy needs a FILE"));
        try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            return AttachmentPolicyScanner.builder()
                    .policy(AttachmentPolicy.parse(r))
                    .build();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UsageException("--attachment-policy " + file + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UsageException("--attachment-policy " + file + ": permission denied");
        } catch (IOException e) {
            throw new UsageException("--attachment-policy " + file + ": " + IoErrors.reason(e));
        } catch (InvalidPathException e) {
            throw new UsageException("--attachment-policy " + file + ": " + e.getMessage());
        }
    }
}
