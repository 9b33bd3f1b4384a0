/**
 * Measurements of the Bayes classifier: {@link org.mailhygiene.benchmarks.bayes.CrossValidation} runs k-fold
 * cross-validation on labelled mail (the SpamAssassin public corpus fetched at benchmark time, or generated Japanese
 * mail) and reports spam caught, ham flagged and throughput.
 */
package org.mailhygiene.benchmarks.bayes;
