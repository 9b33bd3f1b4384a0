/** Public API of Mail Hygiene. */
module org.mailhygiene.api {
    exports org.mailhygiene.api;
}
