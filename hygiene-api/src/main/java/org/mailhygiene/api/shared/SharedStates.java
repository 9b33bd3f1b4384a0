package org.mailhygiene.api.shared;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Function;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Urls;

/** Finds a {@link SharedStateProvider} for a URL. Stateless; thread-safe. */
public final class SharedStates {
    private SharedStates() {}

    /**
     * Opens the shared state a URL names, with the first provider on the class path or module path that handles its
     * scheme.
     *
     * @param url the store's URL, e.g. {@code redis://127.0.0.1:6379/0}
     * @param callTimeout the bound on every call, positive
     * @return the opened state (not yet known to be reachable)
     * @throws IllegalArgumentException if the URL has no scheme, no provider handles its scheme (the message names the
     *     schemes the providers found handle, or the module to add when none is found), or the URL is malformed, or the timeout is not positive
     */
    public static SharedState open(URI url, Duration callTimeout) {
        Objects.requireNonNull(url, "url");
        Checks.requirePositive(callTimeout, "callTimeout");
        if (url.getScheme() == null) {
            // was "no shared-state provider for 'null:' URLs", for a host name or a path given without a scheme
            throw new IllegalArgumentException("not a URL: '" + redact(url.toString())
                    + "' (a shared state is named by a URL such as redis://127.0.0.1:6379/0)");
        }
        return first(p -> p.open(url, callTimeout)).orElseThrow(() -> noProvider(url.getScheme()));
    }

    /**
     * Opens the shared state a URL given as text names, with the first provider on the class path or module path that
     * handles it ({@link SharedStateProvider#open(String, Duration)}). Unlike {@link #open(URI, Duration)} this takes
     * URLs that {@link URI} refuses but a provider reads, such as several bracketed IPv6 hosts in one
     * {@code redis-sentinel://} or {@code redis-cluster://} URL.
     *
     * @param url the store's URL, e.g. {@code redis-sentinel://[2001:db8::1]:26379,[2001:db8::2]:26379/mymaster}
     * @param callTimeout the bound on every call, positive
     * @return the opened state (not yet known to be reachable)
     * @throws IllegalArgumentException if the text has no scheme, no provider handles it (the message names the
     *     schemes the providers found handle, or the module to add, or says why the text is no URL), or the URL is malformed, or the timeout is not positive
     */
    public static SharedState open(String url, Duration callTimeout) {
        Objects.requireNonNull(url, "url");
        Checks.requirePositive(callTimeout, "callTimeout");
        int colon = url.indexOf(':');
        if (colon <= 0 || !url.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
            throw new IllegalArgumentException("not a URL: '" + redact(url)
                    + "' (a shared state is named by a URL such as redis://127.0.0.1:6379/0)");
        }
        Optional<SharedState> opened = first(p -> p.open(url, callTimeout));
        if (opened.isPresent()) {
            return opened.get();
        }
        try {
            new URI(url);
        } catch (URISyntaxException e) {
            // Not e.getMessage(), nor e as the cause: both quote the text, password and all.
            throw new IllegalArgumentException(
                    "not a URL: " + e.getReason() + " at index " + e.getIndex() + ": " + redact(url));
        }
        throw noProvider(url.substring(0, colon));
    }

    /** What the first provider on the class path or module path that handles the URL opens. */
    private static Optional<SharedState> first(Function<SharedStateProvider, Optional<SharedState>> open) {
        for (SharedStateProvider p :
                ServiceLoader.load(SharedStateProvider.class, SharedStates.class.getClassLoader())) {
            Optional<SharedState> s = open.apply(p);
            if (s.isPresent()) {
                return s;
            }
        }
        return Optional.empty();
    }

    private static IllegalArgumentException noProvider(String scheme) {
        // Was always "redis URLs need the hygiene-redis module", also for a misspelt rdis:// with the module present.
        TreeSet<String> known = new TreeSet<>();
        for (SharedStateProvider p :
                ServiceLoader.load(SharedStateProvider.class, SharedStates.class.getClassLoader())) {
            known.addAll(p.schemes());
        }
        String why = known.isEmpty()
                ? "redis URLs need the hygiene-redis module on the class path or module path"
                : "the schemes known here are " + String.join(", ", known);
        return new IllegalArgumentException("no shared-state provider for '" + scheme + ":' URLs (" + why + ")");
    }

    /** Text that may be a URL as an error message quotes it: without passwords ({@link Urls#withoutPasswords}). */
    static String redact(String url) {
        return Urls.withoutPasswords(url);
    }
}
