package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import org.junit.jupiter.api.Test;

class AttachmentPolicyTest {

    @Test
    void documentedDefaultsEqualTheCode() {
        AttachmentPolicy p = AttachmentPolicy.defaults();
        assertThat(p.maxArchiveDepth()).isEqualTo(3);
        assertThat(p.maxArchiveEntries()).isEqualTo(1000);
        assertThat(p.maxExpandedBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(p.maxExpansionRatio()).isEqualTo(1000);
        assertThat(p.doubleExtensionCheck()).isTrue();
        assertThat(p.typeMismatchCheck()).isTrue();
        assertThat(p.encryptedArchiveCheck()).isTrue();
        assertThat(p.brokenMimeCheck()).isTrue();
        assertThat(p.blockedExtensions()).contains("exe", "scr", "pif", "com", "bat", "cmd", "js", "vbs", "jar");
        // what Gmail refuses (support.google.com/mail/answer/6590), the disk images droppers came in since 2022 among
        // them
        assertThat(p.blockedExtensions())
                .contains(
                        "iso", "img", "vhd", "vhdx", "xll", "msc", "sct", "wsc", "jnlp", "appx", "msix", "cab", "mjs");
        assertThat(p.blockedTypes()).contains("application/x-msdownload", "application/x-elf");
        assertThat(p.allowedExtensions()).isEmpty();
    }

    @Test
    void textFormatRoundTrips() throws Exception {
        AttachmentPolicy p = AttachmentPolicy.builder()
                .allowExtensions("js")
                .blockTypes("application/pdf")
                .typeMismatchCheck(false)
                .maxArchiveDepth(5)
                .build();
        assertThat(AttachmentPolicy.parse(new StringReader(p.toText()))).isEqualTo(p);
    }

    @Test
    void parseStartsEmptyUnlessDefaultsIsNamed() throws Exception {
        AttachmentPolicy empty = AttachmentPolicy.parse(new StringReader("# nothing\n\n"));
        assertThat(empty.blockedExtensions()).isEmpty();
        AttachmentPolicy withDefaults = AttachmentPolicy.parse(
                new StringReader(
                        "defaults\nallow extension JS   # scripts are fine here\nlimit archive-depth 1\ncheck broken-mime off\n"));
        assertThat(withDefaults.isBlockedExtension("exe")).isTrue();
        assertThat(withDefaults.isBlockedExtension("js")).isFalse();
        assertThat(withDefaults.maxArchiveDepth()).isEqualTo(1);
        assertThat(withDefaults.brokenMimeCheck()).isFalse();
    }

    @Test
    void syntaxErrorsNameTheLine() {
        assertThatThrownBy(() -> AttachmentPolicy.parse(new StringReader("defaults\nblock colour red\n")))
                .isInstanceOf(PolicySyntaxException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("block colour red");
        assertThatThrownBy(() -> AttachmentPolicy.parse(new StringReader("limit archive-depth many")))
                .hasMessageContaining("line 1")
                .hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> AttachmentPolicy.parse(new StringReader("block type pdf")))
                .hasMessageContaining("not a media type");
    }

    @Test
    void builderRejectsBadSettingsAtOnce() {
        assertThatThrownBy(() -> AttachmentPolicy.builder().maxArchiveDepth(-1)).hasMessageContaining("archive depth");
        assertThatThrownBy(() -> AttachmentPolicy.builder().maxExpansionRatio(1))
                .hasMessageContaining("expansion ratio");
        assertThatThrownBy(() -> AttachmentPolicy.builder().blockExtensions("tar.gz"))
                .hasMessageContaining("not a file-name extension");
    }

    @Test
    void extensionsIgnoreCaseAndLeadingDot() {
        AttachmentPolicy p =
                AttachmentPolicy.builder().clearRules().blockExtensions(".EXE").build();
        assertThat(p.isBlockedExtension("exe")).isTrue();
        assertThat(p.isBlockedExtension("Exe")).isTrue();
    }
}
