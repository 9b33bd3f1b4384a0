/** SMTP integration and reference relay for Mail Hygiene. */
module org.mailhygiene.smtp {
    requires transitive org.mailhygiene.api;
    // transitive: Relay, RelayListener and Node take and return ScanPipeline, ScanReport, DkimSigning, ArcSealer
    // (and DailyReportMailer throws jakarta.mail's MessagingException, which scanners passes on), so an application
    // that requires this module alone must read them (module-path-test checks every published module so).
    requires transitive org.mailhygiene.scanners;
    requires org.slf4j;
    requires com.github.benmanes.caffeine;
    requires jakarta.mail;
    requires org.eclipse.angus.mail;
    requires java.naming;

    exports org.mailhygiene.smtp;
    exports org.mailhygiene.smtp.config;
    exports org.mailhygiene.smtp.stats;
    exports org.mailhygiene.smtp.queue;
    exports org.mailhygiene.smtp.access;
    exports org.mailhygiene.smtp.server;
    exports org.mailhygiene.smtp.delivery;
    exports org.mailhygiene.smtp.dsn;
    exports org.mailhygiene.smtp.topology;
}
