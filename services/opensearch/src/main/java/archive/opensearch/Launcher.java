package archive.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

/**
 * One OpenSearch node of the test cluster, in this JVM, with the plugins on the class path.
 *
 * Usage: Launcher INDEX COUNT HOME. Node INDEX of COUNT listens on 127.0.0.1, HTTP 9200+INDEX,
 * transport 9300+INDEX; its data and logs go under HOME/node-INDEX. Node 0 is the only
 * cluster-manager-eligible node, so stopping any other node never costs the cluster its
 * manager. SIGTERM closes the node cleanly.
 */
public final class Launcher {

    private Launcher() {
    }

    /** A Node whose plugins are classes on our class path (no plugin folder, no bootstrap checks). */
    static final class ClasspathNode extends Node {
        ClasspathNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    static Settings settings(int index, int count, Path home) {
        Path node = home.resolve("node-" + index);
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            seeds.add("127.0.0.1:" + (9300 + i));
        }
        Settings.Builder builder = Settings.builder()
            .put("cluster.name", "archive-test")
            .put("node.name", "node-" + index)
            .put("path.home", node.toString())
            .put("path.data", node.resolve("data").toString())
            .put("path.logs", node.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(9200 + index))
            .put("transport.port", Integer.toString(9300 + index))
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // a shared test machine's disk may be fuller than the default watermarks allow
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", false);
        if (count == 1) {
            builder.put("discovery.type", "single-node");
        } else {
            builder.putList("discovery.seed_hosts", seeds)
                .putList("cluster.initial_cluster_manager_nodes", "node-0");
            if (index == 0) {
                builder.putList("node.roles", "cluster_manager", "data", "ingest");
            } else {
                builder.putList("node.roles", "data", "ingest");
            }
        }
        return builder.build();
    }

    public static void main(String[] args) throws Exception {
        int index = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        Path home = Path.of(args[2]).toAbsolutePath();
        Path node = home.resolve("node-" + index);
        Files.createDirectories(node.resolve("config"));
        Settings settings = settings(index, count, home);
        // the second argument is the -E settings map: none here
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), node.resolve("config"), () -> "node-" + index);
        List<Class<? extends Plugin>> plugins = List.of(
            org.opensearch.transport.Netty4Plugin.class,
            org.opensearch.analysis.common.CommonAnalysisPlugin.class,
            org.opensearch.painless.PainlessPlugin.class,
            org.opensearch.index.reindex.ReindexPlugin.class,
            org.opensearch.index.mapper.MapperExtrasPlugin.class);
        Node server = new ClasspathNode(environment, plugins);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
                server.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception error) {
                error.printStackTrace();
            } finally {
                closed.countDown();
            }
        }));
        server.start();
        System.out.println("node-" + index + " started: http://127.0.0.1:" + (9200 + index));
        closed.await();
    }
}
