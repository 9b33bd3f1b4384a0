/** Public API of Mail Hygiene: scanners, verdicts and the types passed between them. */
package org.mailhygiene.api;
