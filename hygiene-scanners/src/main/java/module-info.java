/** Scanner implementations for Mail Hygiene. */
module org.mailhygiene.scanners {
    requires transitive org.mailhygiene.api;
    requires org.slf4j;
    requires org.apache.tika.core;
    requires java.xml; // MagicTable reads Tika's tika-mimetypes.xml
    requires com.github.benmanes.caffeine;
    requires org.tukaani.xz; // xz, .lzma and zip's LZMA entries (org.mailhygiene.scanners.archive.Compressed)
    // tika-core is an automatic module, which declares no dependencies: without this line nothing resolves commons-io
    // on the module path and Tika fails with NoClassDefFoundError (module-path-test runs a consumer to prove it).
    requires org.apache.commons.io;
    requires transitive jakarta.mail; // MimeMessageContent takes a jakarta.mail MimeMessage
    requires org.eclipse.angus.mail;

    exports org.mailhygiene.scanners;
    exports org.mailhygiene.scanners.attachments;
    exports org.mailhygiene.scanners.auth;
    exports org.mailhygiene.scanners.auth.dns;
    exports org.mailhygiene.scanners.bayes;
    exports org.mailhygiene.scanners.builtin;
    exports org.mailhygiene.scanners.clamd;
    exports org.mailhygiene.scanners.cli;
    exports org.mailhygiene.scanners.mime;
    exports org.mailhygiene.scanners.shared;
    exports org.mailhygiene.scanners.spamd;
    exports org.mailhygiene.scanners.tagging;
    exports org.mailhygiene.scanners.update;
}
