package org.tlbjava.data;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;
import org.tlbjava.testing.Synthetic;

/** The CIFAR-10 download against a server on 127.0.0.1. */
class DownloadTest {
    @TempDir
    Path tmp;

    private HttpServer server;

    private String serve(byte[] body) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/cifar-10-binary.tar.gz", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/cifar-10-binary.tar.gz";
    }

    /** A server that announces the whole archive, sends half of it, and hangs up. */
    private String serveHalf(byte[] body) throws Exception {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        Thread thread = new Thread(() -> {
            try (socket; Socket client = socket.accept()) {
                client.getInputStream().read(new byte[4096]);
                OutputStream out = client.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes());
                out.write(body, 0, body.length / 2);
                out.flush();
            } catch (java.io.IOException ignored) {
                // the test sees the result on the client side
            }
        });
        thread.setDaemon(true);
        thread.start();
        return "http://127.0.0.1:" + socket.getLocalPort() + "/cifar-10-binary.tar.gz";
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    private static RunConfig config() {
        RunConfig c = RunConfig.defaults().with("train_slice=80");
        return c;
    }

    private long filesIn(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void downloadsVerifiesAndExtracts() throws Exception {
        byte[] archive = Synthetic.cifarArchive(20);
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Splits s = new DataLocator(serve(archive), md5(archive)).load(cache.toString(), config());
        assertEquals(80, s.train().size());
        assertArrayEquals(archive, Files.readAllBytes(cache.resolve("cifar-10-binary.tar.gz")));
        // a second load uses what is there: no server needed
        stop();
        server = null;
        assertEquals(20, new DataLocator("http://127.0.0.1:9/none", "0").load(cache.toString(), config()).val().size());
    }

    @Test
    void md5MismatchKeepsNothing() throws Exception {
        byte[] archive = Synthetic.cifarArchive(20);
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        TlbException e = assertThrows(TlbException.class,
                () -> new DataLocator(serve(archive), "00000000000000000000000000000000").load(cache.toString(), config()));
        assertTrue(e.getMessage().contains("MD5"), e.getMessage());
        assertEquals(0, filesIn(cache));
    }

    @Test
    void cutOffDownloadKeepsNothingAndTheNextRunStartsClean() throws Exception {
        byte[] archive = Synthetic.cifarArchive(20);
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        String url = serveHalf(archive);
        TlbException e = assertThrows(TlbException.class,
                () -> new DataLocator(url, md5(archive)).load(cache.toString(), config()));
        assertTrue(e.getMessage().contains(url), e.getMessage());
        assertEquals(0, filesIn(cache));
        Files.writeString(cache.resolve("cifar-10-binary.tar.gz.part"), "left by a killed run");
        Splits s = new DataLocator(serve(archive), md5(archive)).load(cache.toString(), config());
        assertEquals(80, s.train().size());
        assertFalse(Files.exists(cache.resolve("cifar-10-binary.tar.gz.part")));
    }

    @Test
    void offlineErrorNamesTheUrlAndDataOption() {
        String url = "http://127.0.0.1:9/cifar-10-binary.tar.gz"; // discard port: nothing listens
        TlbException e = assertThrows(TlbException.class,
                () -> new DataLocator(url, "x").load(tmp.toString(), config()));
        assertTrue(e.getMessage().contains(url), e.getMessage());
        assertTrue(e.getMessage().contains("--data"), e.getMessage());
    }

    @Test
    void aMissingDataPathNamesWhereItLookedAndCreatesNothing() {
        Path typo = tmp.resolve("datsets");
        TlbException e = assertThrows(TlbException.class,
                () -> new DataLocator("http://127.0.0.1:9/none", "x").load(typo.toString(), config()));
        for (String place : new String[] {typo.toString(), typo.resolve("cifar-10-batches-bin").toString(),
                typo.resolve("cifar-10-binary.tar.gz").toString(), "image folder", "--data"}) {
            assertTrue(e.getMessage().contains(place), place + " in: " + e.getMessage());
        }
        assertFalse(Files.exists(typo));
    }

    @Test
    void archiveEntryEscapingTheTargetIsRejectedAndNothingIsWritten() throws Exception {
        byte[] evil = Synthetic.tarGz(new String[] {"cifar-10-batches-bin/data_batch_1.bin", "../escaped.txt"},
                new byte[][] {Synthetic.batch(2, 1), "x".getBytes()});
        Path inner = Files.createDirectories(tmp.resolve("a/b"));
        Files.write(inner.resolve("cifar-10-binary.tar.gz"), evil);
        TlbException e = assertThrows(TlbException.class, () -> new DataLocator().load(inner.toString(), config()));
        assertTrue(e.getMessage().contains("../escaped.txt") && e.getMessage().contains("escape"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("a/escaped.txt")));
        assertFalse(Files.exists(inner.resolve("escaped.txt")));
        assertEquals(1, filesIn(inner), "only the archive remains");
    }
}
