package org.mailhygiene.milter;

import java.util.Optional;
import org.mailhygiene.api.policy.Action;

/**
 * What the milter told the MTA about one message.
 *
 * @param action the action carried out: the disposition's, or TEMPFAIL when it could not be carried out (the scan did
 *     not finish in time, or the MTA did not allow the header changes or the quarantine it needed)
 * @param reply the SMTP reply the MTA gives its client for a refused message ({@code 554 5.7.1 Virus found: NAME});
 *     for an accepted one the disposition's reply, which the MTA replaces with its own 250
 * @param mtaQueueId the MTA's queue id (the {@code i} macro), when it sent one
 * @param progressReplies how many {@code SMFIR_PROGRESS} packets were sent while the scan ran
 * @param headerEdits how many header changes and additions were sent
 */
public record MilterOutcome(
        Action action, String reply, Optional<String> mtaQueueId, int progressReplies, int headerEdits) {}
