package org.tlbjava.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.tlbjava.TlbException;

/**
 * Downloads a file to a temporary name beside its destination and moves it into place only when
 * it is complete and its MD5 matches; otherwise nothing is kept. A connection silent for a minute
 * counts as cut off.
 */
public final class Downloader {
    private static final int CONNECT_TIMEOUT_MS = 20_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    /** Fetches {@code url} to {@code destination}; {@code hint} is added to a network error. */
    public Path download(String url, String expectedMd5, Path destination, String hint) {
        Path temp = destination.resolveSibling(destination.getFileName() + ".part");
        try {
            Files.deleteIfExists(temp); // left by a run that was killed midway
            HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
            connection.setConnectTimeout(CONNECT_TIMEOUT_MS);
            connection.setReadTimeout(READ_TIMEOUT_MS);
            connection.setInstanceFollowRedirects(true);
            int status = connection.getResponseCode();
            if (status != 200) {
                connection.disconnect();
                throw new TlbException("download of " + url + " failed: HTTP " + status + ". " + hint);
            }
            long expectedLength = connection.getContentLengthLong();
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            long copied;
            System.err.println("Downloading " + url + " …");
            try (InputStream body = new DigestInputStream(connection.getInputStream(), md5);
                    OutputStream out = Files.newOutputStream(temp)) {
                copied = body.transferTo(out);
            }
            if (expectedLength >= 0 && copied != expectedLength) {
                throw new TlbException("download of " + url + " was cut off after " + copied + " of "
                        + expectedLength + " bytes; nothing was kept. " + hint);
            }
            String actual = HexFormat.of().formatHex(md5.digest());
            if (!actual.equalsIgnoreCase(expectedMd5)) {
                throw new TlbException("download of " + url + " has MD5 " + actual + ", expected "
                        + expectedMd5 + "; nothing was kept");
            }
            Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE);
            return destination;
        } catch (IOException e) {
            throw new TlbException("cannot download " + url + " (" + describe(e) + "). " + hint);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the next run deletes it before starting
            }
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
