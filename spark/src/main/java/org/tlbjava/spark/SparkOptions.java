package org.tlbjava.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.ExternalClusterManager;
import org.apache.spark.sql.SparkSession;
import org.tlbjava.UsageException;
import picocli.CommandLine.Option;

/** {@code --master URL}, shared by the commands, and the session it starts. */
final class SparkOptions {
    static final String DEFAULT_MASTER = "local[*]";
    private static final String LOOPBACK = "127.0.0.1";
    /** The local masters SparkContext runs itself (its LOCAL_N, LOCAL_N_FAILURES and LOCAL_CLUSTER patterns). */
    private static final Pattern LOCAL = Pattern.compile("local(\\[\\s*([0-9]+|\\*)\\s*(,\\s*[0-9]+\\s*)?])?"
            + "|local-cluster\\[\\s*[0-9]+\\s*,\\s*[0-9]+\\s*,\\s*[0-9]+\\s*]");
    private static final Pattern STANDALONE = Pattern.compile("spark://(.+)");
    /** Long enough for a master across a data centre; Spark itself would retry for over a minute. */
    private static final int CONNECT_TIMEOUT_MS = 5000;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[N], spark://HOST:PORT, yarn, k8s://… (default: spark-submit's, else "
            + DEFAULT_MASTER + ").")
    String master;

    /** A session for one command; closing it stops Spark unless the session was there before (embedding, tests). */
    record Session(SparkSession spark, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                spark.stop();
            }
        }
    }

    /**
     * The running session if there is one (a program that embeds the commands, the tests), else a
     * new one on {@code --master}, else on the master spark-submit set, else in-process. A local
     * session binds to 127.0.0.1 (nothing else can reach it, and the machine's outside address may
     * not resolve); on a cluster the executors must reach the driver, so Spark's defaults stand.
     */
    Session start(String appName) {
        if (master != null) {
            checkMaster(master);
        }
        SparkSession running = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
                : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
        if (running != null && !running.sparkContext().isStopped()) {
            announce(running);
            return new Session(running, false);
        }
        SparkConf conf = new SparkConf();
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster(DEFAULT_MASTER);
        }
        if (isLocal(conf.get("spark.master"))) {
            conf.setIfMissing("spark.driver.host", LOOPBACK);
            conf.setIfMissing("spark.driver.bindAddress", LOOPBACK);
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "true");
        // binaryFile charges 4 MB a file by default when packing files into partitions: ~30 small
        // images each, too few to batch; 64 KB lets a partition hold ~2000 CIFAR-sized images
        conf.setIfMissing("spark.sql.files.openCostInBytes", "65536");
        SparkSession spark = SparkSession.builder().appName(appName).config(conf).getOrCreate();
        announce(spark);
        return new Session(spark, true);
    }

    /** Where Spark's web UI and log are, for the user. */
    private static void announce(SparkSession spark) {
        String ui = spark.sparkContext().uiWebUrl().isDefined() ? spark.sparkContext().uiWebUrl().get() : "off";
        System.err.printf(Locale.ROOT, "tlb-spark: Spark %s on %s; web UI %s while the job runs; Spark's log and"
                + " progress on stderr%n", spark.version(), spark.sparkContext().master(), ui);
    }

    /**
     * Refuses, as a usage error naming --master, a URL no cluster manager takes and a standalone
     * master that does not answer, before Spark starts: Spark would log an error with its stack,
     * or retry for a minute and a half and end with "LiveListenerBus is stopped".
     */
    static void checkMaster(String master) {
        if (LOCAL.matcher(master).matches()) {
            return;
        }
        Matcher standalone = STANDALONE.matcher(master);
        if (standalone.matches()) {
            requireAnswer(master, standalone.group(1).split(","));
            return;
        }
        // yarn, k8s://…: the cluster managers on the class path (spark-submit's, not the local bundle)
        for (ExternalClusterManager manager : ServiceLoader.load(ExternalClusterManager.class)) {
            if (manager.canCreate(master)) {
                return;
            }
        }
        throw new UsageException("--master " + master + " is not a Spark master URL: local, local[N], local[*],"
                + " spark://HOST:PORT, or yarn, k8s://HOST:PORT with spark-submit");
    }

    /** At least one of the standalone masters {@code hosts} (HOST:PORT each) must accept a connection. */
    private static void requireAnswer(String master, String[] hosts) {
        List<String> failures = new ArrayList<>();
        for (String host : hosts) {
            int colon = host.lastIndexOf(':');
            try {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(host.substring(0, colon), Integer.parseInt(host.substring(colon + 1))),
                            CONNECT_TIMEOUT_MS);
                    return;
                }
            } catch (IOException | RuntimeException e) { // a refused or unknown host, a bad or missing port
                failures.add(host + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
            }
        }
        throw new UsageException("--master " + master + ": no Spark master answers at " + String.join(", ", failures));
    }

    static boolean isLocal(String master) {
        return master.startsWith("local");
    }
}
