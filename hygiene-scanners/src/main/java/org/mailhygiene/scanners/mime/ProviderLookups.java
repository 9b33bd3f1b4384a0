package org.mailhygiene.scanners.mime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Makes Jakarta Mail's stream-provider lookup cheap while one walk builds its entities.
 *
 * <p>Why: every {@code jakarta.mail.BodyPart} and {@code Multipart} constructor (jakarta.mail-api 2.1) asks for a
 * {@code jakarta.mail.util.StreamProvider} through a fresh {@link java.util.ServiceLoader} over the thread's context
 * class loader: the loader searches its class path for {@value #SERVICE}, opens and inflates the file from its jar and
 * parses it, about 50 us per entity. A message of 1,000 tiny parts paid that once per part and scanner (half of the
 * built-in scanners' time, benchmarks/README.md, session 42), and nothing else in the walk costs as much per part.
 *
 * <p>What: {@link #install} sets as the thread's context class loader a loader that delegates everything to the one in
 * effect, except that it answers {@link ClassLoader#getResources} for {@value #SERVICE} from a copy of that loader's
 * files read once (on the first lookup). The lookup therefore finds the same provider class by the same name through
 * the same loader; only the search and the inflating are skipped. {@link Scope#close} puts the previous loader back.
 * The caching loader of the last context loader seen is reused by later walks while it is reachable (a weak reference:
 * a container's undeployed loader is not retained by it); a class path that gains a service file while the copy is
 * kept is not seen until the copy is dropped. Not installed when the thread has no context class loader (the lookup
 * then uses Jakarta Mail's own loader, unchanged).
 *
 * <p>Thread-safety: a scope belongs to the thread that installed it; the loader is shared by threads (those of other
 * walks, those the walk's code starts while it is installed): its copy is read under a lock.
 */
final class ProviderLookups {
    /** The service file Jakarta Mail's lookup reads. */
    static final String SERVICE = "META-INF/services/jakarta.mail.util.StreamProvider";

    private static final Scope NOTHING = () -> {};

    /** The caching loader made last, reused while its parent is the context loader in effect. */
    private static volatile WeakReference<CachedServices> last = new WeakReference<>(null);

    private ProviderLookups() {}

    /**
     * Installs the caching loader on the current thread until the returned scope is closed.
     *
     * @return the scope; closing it restores the previous context class loader
     */
    static Scope install() {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        if (previous == null || previous instanceof CachedServices) {
            return NOTHING;
        }
        CachedServices cached = last.get();
        if (cached == null || cached.getParent() != previous) {
            cached = new CachedServices(previous);
            last = new WeakReference<>(cached);
        }
        t.setContextClassLoader(cached);
        return () -> t.setContextClassLoader(previous);
    }

    /** Restores the context class loader that {@link #install} replaced. */
    interface Scope extends AutoCloseable {
        /** Restores the previous context class loader; never throws. */
        @Override
        void close();
    }

    /** Delegates to its parent, with {@value #SERVICE} read from the parent once. */
    static final class CachedServices extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private List<URL> services;

        CachedServices(ClassLoader parent) {
            super(parent);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            if (!SERVICE.equals(name)) {
                return super.getResources(name);
            }
            synchronized (this) {
                if (services == null) {
                    List<URL> copies = new ArrayList<>();
                    for (URL u : Collections.list(getParent().getResources(name))) {
                        byte[] bytes;
                        try (InputStream in = u.openStream()) {
                            bytes = in.readAllBytes();
                        }
                        copies.add(new URL(null, "hygiene-copy:" + u, new Copy(bytes)));
                    }
                    services = copies;
                }
                return Collections.enumeration(services);
            }
        }
    }

    /** A URL's content held in memory. */
    private static final class Copy extends URLStreamHandler {
        private final byte[] bytes;

        Copy(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        protected URLConnection openConnection(URL u) {
            return new URLConnection(u) {
                @Override
                public void connect() {
                    connected = true;
                }

                @Override
                public InputStream getInputStream() {
                    return new ByteArrayInputStream(bytes);
                }
            };
        }
    }
}
