package org.tlbjava.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.BarrierTaskContext;

/**
 * An all-gather between the tasks of a barrier stage over TCP connections of their own, one
 * between each pair, instead of through the driver: {@link BarrierTaskContext#allGather} waits in
 * steps of a whole second (Spark polls its answer once a second), which is longer than a step
 * here. The tasks exchange their addresses once through the barrier, then every message goes
 * straight to every other task: each sends its own N - 1 times and receives N - 1.
 *
 * <p>Spark stays in charge: a task that dies closes its connections, so the others' reads fail and
 * the stage fails and is retried; a read waiting on a live peer wakes every second to end a task
 * Spark has killed.
 */
final class DirectExchange implements AutoCloseable {
    private static final int WAKE_MS = 1000;
    private final BarrierTaskContext context;
    private final int rank;
    /** The connection to each other task, by rank; null at this task's own. */
    private final Socket[] peers;
    private final DataOutputStream[] out;
    private final DataInputStream[] in;
    private final ExecutorService senders;

    /**
     * Connects the stage's tasks, each to each: a task accepts the connections of the tasks after
     * it and connects to those before it, on the address its executor has in the barrier.
     */
    DirectExchange(BarrierTaskContext context) throws IOException {
        this.context = context;
        rank = context.partitionId();
        int size = context.getTaskInfos().length;
        peers = new Socket[size];
        out = new DataOutputStream[size];
        in = new DataInputStream[size];
        String host = context.getTaskInfos()[rank].address().replaceFirst(":\\d+$", "");
        try (ServerSocket server = new ServerSocket(0, size, InetAddress.getByName(host))) {
            server.setSoTimeout(WAKE_MS);
            String[] addresses = context.allGather(host + ":" + server.getLocalPort());
            for (int r = 0; r < rank; r++) {
                int colon = addresses[r].lastIndexOf(':');
                Socket s = new Socket();
                s.connect(new InetSocketAddress(addresses[r].substring(0, colon),
                        Integer.parseInt(addresses[r].substring(colon + 1))), 30_000);
                attach(r, s);
                out[r].writeInt(rank);
                out[r].flush();
            }
            for (int accepted = 0; accepted < size - 1 - rank; accepted++) {
                Socket s = accept(server);
                int from = new DataInputStream(s.getInputStream()).readInt();
                attach(from, s);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        senders = Executors.newFixedThreadPool(Math.max(1, size - 1), r -> {
            Thread t = new Thread(r, "tlb-exchange");
            t.setDaemon(true);
            return t;
        });
    }

    private Socket accept(ServerSocket server) throws IOException {
        while (true) {
            try {
                return server.accept();
            } catch (SocketTimeoutException e) {
                context.killTaskIfInterrupted();
            }
        }
    }

    private void attach(int r, Socket s) throws IOException {
        s.setTcpNoDelay(true);
        s.setSoTimeout(WAKE_MS);
        peers[r] = s;
        out[r] = new DataOutputStream(s.getOutputStream());
        in[r] = new DataInputStream(new Waking(s.getInputStream()));
    }

    /** Every task's message in rank order: this one sent to each other task while theirs are read. */
    List<byte[]> allGather(byte[] message) {
        List<Future<?>> sent = new ArrayList<>();
        for (int r = 0; r < peers.length; r++) {
            if (r != rank) {
                DataOutputStream o = out[r];
                sent.add(senders.submit(() -> {
                    o.writeInt(message.length);
                    o.write(message);
                    o.flush();
                    return null;
                }));
            }
        }
        byte[][] all = new byte[peers.length][];
        all[rank] = message;
        try {
            for (int r = 0; r < peers.length; r++) {
                if (r != rank) {
                    all[r] = new byte[in[r].readInt()];
                    in[r].readFully(all[r]);
                }
            }
            for (Future<?> f : sent) {
                f.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a task of the stage stopped answering", e);
        } catch (ExecutionException e) {
            throw new UncheckedIOException("a task of the stage stopped answering", (IOException) e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            context.killTaskIfInterrupted();
            throw new IllegalStateException("interrupted while exchanging", e);
        }
        return Arrays.asList(all);
    }

    /** A socket's stream whose reads wait through timeouts, ending the task if Spark killed it meanwhile. */
    private final class Waking extends InputStream {
        private final InputStream in;

        Waking(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            while (true) {
                try {
                    return in.read();
                } catch (SocketTimeoutException e) {
                    context.killTaskIfInterrupted();
                }
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                try {
                    return in.read(b, off, len);
                } catch (SocketTimeoutException e) {
                    context.killTaskIfInterrupted();
                }
            }
        }
    }

    @Override
    public void close() {
        if (senders != null) {
            senders.shutdownNow();
        }
        for (Socket s : peers) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (IOException ignored) {
                // closing: nothing more to send or read
            }
        }
    }
}
