package org.mailhygiene.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.testkit.SampleMessages;

class ScanFileExampleTest {
    @TempDir
    Path dir;

    @Test
    void cleanMessageIsAccepted() throws IOException, InterruptedException {
        Disposition d = ScanFileExample.scan(Files.write(dir.resolve("clean.eml"), SampleMessages.clean()));
        assertThat(d.action()).isEqualTo(Action.ACCEPT);
        assertThat(d.reply().code()).isEqualTo(250);
    }

    @Test
    void virusIsRejectedWithA554NamingIt() throws IOException, InterruptedException {
        Disposition d = ScanFileExample.scan(Files.write(dir.resolve("eicar.eml"), SampleMessages.eicarAttachment()));
        assertThat(d.action()).isEqualTo(Action.REJECT);
        assertThat(d.reply().code()).isEqualTo(554);
        assertThat(d.reply().text()).contains("Eicar-Test-Signature");
        assertThat(d.reason()).contains("builtin");
    }

    @Test
    void spamIsTagged() throws IOException, InterruptedException {
        Disposition d = ScanFileExample.scan(Files.write(dir.resolve("gtube.eml"), SampleMessages.gtube()));
        assertThat(d.action()).isEqualTo(Action.TAG);
        assertThat(d.subjectTag()).hasValue("[SPAM]");
    }
}
