package org.tlbjava.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import org.tlbjava.TlbException;

/**
 * Downloads a file to a temporary name beside its destination and moves it into place only when
 * it is complete and its MD5 matches; otherwise nothing is kept.
 */
public final class Downloader {
    private final HttpClient client =
            HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(20))
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build();

    /** Fetches {@code url} to {@code destination}; {@code hint} is added to a network error. */
    public Path download(String url, String expectedMd5, Path destination, String hint) {
        Path temp = destination.resolveSibling(destination.getFileName() + ".part");
        try {
            Files.deleteIfExists(temp); // left by a run that was killed midway
            HttpResponse<InputStream> response = client.send(
                    HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new TlbException("download of " + url + " failed: HTTP " + response.statusCode()
                        + ". " + hint);
            }
            long expectedLength = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            long copied;
            System.err.println("Downloading " + url + " …");
            try (InputStream body = new DigestInputStream(response.body(), md5);
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TlbException("download of " + url + " was interrupted");
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
