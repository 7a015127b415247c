package org.tlbjava.serve;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which {@code Host} headers a server answers. On a loopback address it answers only requests
 * addressed to a loopback name (localhost, 127.x.x.x, [::1]) or to the {@code --host} it listens
 * on, so a web page cannot reach it through a name of its own pointed at 127.0.0.1 (DNS
 * rebinding) and read the runs and models from the visitor's browser. On any other address it is
 * open to the network anyway and answers every Host.
 */
final class HostCheck {
    static final HostCheck ANY = new HostCheck(null);
    private static final Pattern LOOPBACK_IPV4 = Pattern.compile("127(\\.\\d{1,3}){3}");

    private final String listenHost;

    /** @param listenHost the --host of a server on loopback, or null to answer every Host */
    HostCheck(String listenHost) {
        this.listenHost = listenHost == null ? null : hostname(listenHost);
    }

    /** The check for a server listening on {@code host}. */
    static HostCheck listeningOn(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress() ? new HostCheck(host) : ANY;
        } catch (UnknownHostException e) {
            return new HostCheck(host); // unreachable once the server listens there; refuse others to be safe
        }
    }

    /** Whether a request with this Host header (null when it has none) is answered. */
    boolean accepts(String hostHeader) {
        if (listenHost == null || hostHeader == null) {
            return true; // no Host at all: HTTP/1.0, which no browser sends
        }
        String name = hostname(hostHeader);
        return name.equals(listenHost) || name.equals("localhost") || name.equals("::1")
                || name.equals("0:0:0:0:0:0:0:1") || LOOPBACK_IPV4.matcher(name).matches();
    }

    String refusal(String hostHeader) {
        return "Host '" + hostHeader + "' is not answered here: this server listens on loopback and answers requests"
                + " to localhost, 127.0.0.1, [::1] or " + listenHost + " (tlb serve --host NAME adds a name)";
    }

    /** The name of a Host value, without port, IPv6 brackets or a final dot, in lower case. */
    static String hostname(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && colon == h.lastIndexOf(':')) { // one colon: a port; more: a bare IPv6 address
            h = h.substring(0, colon);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }
}
