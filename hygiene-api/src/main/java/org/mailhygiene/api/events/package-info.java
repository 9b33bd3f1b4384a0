/**
 * Observability: one listener SPI ({@link org.mailhygiene.api.events.HygieneListener}) and immutable statistics built
 * on it ({@link org.mailhygiene.api.events.StatisticsRecorder}, {@link org.mailhygiene.api.events.Statistics}).
 */
package org.mailhygiene.api.events;
