package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.queue.QueueId;

/**
 * The line a node logs when quarantine expiry deleted messages named every id: 12,469 expired messages made one INFO
 * line of 274 KB (audit, session 39). It names ten and how many more.
 */
class NodeExpiryLogTest {
    private static List<QueueId> ids(int n) {
        List<QueueId> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new QueueId(String.format("0MXBND9GJBQT%08d", i)));
        }
        return out;
    }

    @Test
    void aFewIdsAreNamedAll() {
        assertThat(Node.firstIds(ids(3)))
                .isEqualTo("[0MXBND9GJBQT00000000, 0MXBND9GJBQT00000001, 0MXBND9GJBQT00000002]");
    }

    @Test
    void manyIdsAreNamedTenAndCounted() {
        String line = Node.firstIds(ids(12_469));
        assertThat(line).startsWith("[0MXBND9GJBQT00000000, ").endsWith("0MXBND9GJBQT00000009, ... and 12459 more]");
        assertThat(line.length()).isLessThan(300);
        assertThat(Node.firstIds(ids(10))).doesNotContain("more");
    }
}
