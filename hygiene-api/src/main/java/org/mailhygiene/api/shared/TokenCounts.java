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
 * lookup itself); every change is refused with {@link UnsupportedOperationException}. Thread-safe for reading.
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

    @Override
    public Set<String> keySet() {
        return Collections.unmodifiableSet(counts.keySet());
    }
}
