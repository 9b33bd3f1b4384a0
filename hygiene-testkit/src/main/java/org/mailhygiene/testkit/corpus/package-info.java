/**
 * Generated mail for training and measuring spam classifiers:
 * {@link org.mailhygiene.testkit.corpus.SyntheticCorpus} writes labelled Japanese and English spam and ham in every
 * charset and transfer encoding Japanese mail uses. Everything in it was written for this project, so models trained
 * on it may be shipped.
 */
package org.mailhygiene.testkit.corpus;
