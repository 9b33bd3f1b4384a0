package org.mailhygiene.api.shared;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A read-only view of token counts that hands each reader a copy of a count array (two longs: cheap beside the
 * lookup itself); every change is refused with {@link UnsupportedOperationException}. Equality and hash code go by the
 * counts, not the arrays' identity. Thread-safe for reading.
 */
final class TokenCounts extends AbstractMap<String, long[]> {
    private final Map<String, long[]> counts;

    TokenCounts(Map<String, long[]> counts) {
        this.counts = counts;
    }

    @Override
    public int size() {
        return counts.size();
    }

    @Override
    public boolean containsKey(Object key) {
        return counts.containsKey(key);
    }

    @Override
    public long[] get(Object key) {
        long[] c = counts.get(key);
        return c == null ? null : c.clone();
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super long[]> action) {
        counts.forEach((t, c) -> action.accept(t, c.clone()));
    }

    @Override
    public Set<Map.Entry<String, long[]>> entrySet() {
        Set<Map.Entry<String, long[]>> entries = counts.entrySet();
        return new AbstractSet<>() {
            @Override
            public int size() {
                return entries.size();
            }

            @Override
            public Iterator<Map.Entry<String, long[]>> iterator() {
                Iterator<Map.Entry<String, long[]>> it = entries.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Map.Entry<String, long[]> next() {
                        Map.Entry<String, long[]> e = it.next();
                        return new AbstractMap.SimpleImmutableEntry<>(
                                e.getKey(), e.getValue().clone());
                    }
                };
            }
        };
    }

    /**
     * Equal to another such view of the same tokens whose count arrays hold the same counts ({@link
     * java.util.Arrays#equals}): the arrays handed out are copies, so their identity says nothing. (Not equal to a
     * plain map, which compares arrays by identity: equality stays symmetric.)
     */
    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof TokenCounts other) || other.counts.size() != counts.size()) {
            return false;
        }
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            long[] c = other.counts.get(e.getKey());
            if (c == null || !java.util.Arrays.equals(c, e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** By the tokens and their counts, as {@link #equals} compares them: the same at every call. */
    @Override
    public int hashCode() {
        int h = 0;
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            h += e.getKey().hashCode() ^ java.util.Arrays.hashCode(e.getValue());
        }
        return h;
    }

    @Override
    public Set<String> keySet() {
        return Collections.unmodifiableSet(counts.keySet());
    }
}
