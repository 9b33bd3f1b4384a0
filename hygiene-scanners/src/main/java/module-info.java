/** Scanner implementations for Mail Hygiene. */
module org.mailhygiene.scanners {
    requires transitive org.mailhygiene.api;
    requires org.slf4j;
    requires org.apache.tika.core;
    requires transitive com.github.benmanes.caffeine;
    requires jakarta.mail;
    requires org.eclipse.angus.mail;

    exports org.mailhygiene.scanners;
    exports org.mailhygiene.scanners.attachments;
    exports org.mailhygiene.scanners.bayes;
    exports org.mailhygiene.scanners.builtin;
    exports org.mailhygiene.scanners.clamd;
    exports org.mailhygiene.scanners.cli;
    exports org.mailhygiene.scanners.concurrent;
    exports org.mailhygiene.scanners.mime;
    exports org.mailhygiene.scanners.shared;
    exports org.mailhygiene.scanners.spamd;
    exports org.mailhygiene.scanners.tagging;
    exports org.mailhygiene.scanners.update;
}
