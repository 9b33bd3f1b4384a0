/**
 * Helpers shared by the Mail Hygiene modules: the virtual-thread factory, argument checks, closing without throwing and
 * deleting a directory tree. Not API: {@code module-info} exports this package only to the project's own modules, no
 * public signature of the project names one of its types, and it may change in any release (the API compatibility
 * check leaves it out). Code on the class path can reach it; it must not.
 */
package org.mailhygiene.internal;
