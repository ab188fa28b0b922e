// A JSSE (Java's own TLS stack) peer for the socket tests, in both roles, on loopback only.
//
//   TlsPeer server [--need-client-auth] --keystore P12 [--truststore P12]
//           --listen NAME:PROTOCOLS:SUITES ...
//       One SSLServerSocket per --listen on 127.0.0.1, kernel-chosen port; prints
//       "listening NAME PORT" for each, then "ready". PROTOCOLS and SUITES are comma lists
//       ("-" for JSSE's defaults). Each connection: handshake, read one line, answer
//       "echo: LINE" and one "session: ..." line, close; the same session line (or
//       "handshake failed NAME: message") goes to stdout. Runs until killed.
//   TlsPeer client --port N --servername NAME --truststore P12 [--keystore P12]
//           [--protocols LIST] [--suites LIST] [--request TEXT] [--connections N]
//       Connects to 127.0.0.1:N with SNI NAME and host-name verification (HTTPS rules),
//       sends TEXT (\r and \n escapes), reads to EOF, prints the reply, then
//       "session: ..." on stdout. Exit 0, or 1 with "error: <class>: message" on stdout
//       (after a failed write, the alert the server sent is read first when it can be).
//       --connections N does this N times in a row with one SSLContext, so JSSE's client
//       session cache may resume the later ones (the server says whether it did).
//
// Keystores are PKCS#12 with the password "changeit". The session line:
//   session: protocol=TLSv1.3 suite=TLS_AES_128_GCM_SHA256 peer=CN=... local=CN=...|none
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class TlsPeer {
    private static final char[] PASSWORD = "changeit".toCharArray();

    private static KeyStore load(String path) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    private static SSLContext context(String keystore, String truststore) throws Exception {
        KeyManagerFactory kmf = null;
        if (keystore != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keystore), PASSWORD);
        }
        TrustManagerFactory tmf = null;
        if (truststore != null) {
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(truststore));
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(),
                 tmf == null ? null : tmf.getTrustManagers(), null);
        return ctx;
    }

    private static String[] list(String v) {
        return v == null || v.equals("-") ? null : v.split(",");
    }

    private static String subject(Certificate[] chain) {
        if (chain == null || chain.length == 0)
            return "none";
        return ((X509Certificate) chain[0]).getSubjectX500Principal().getName();
    }

    private static String describe(SSLSession s) {
        String peer;
        try {
            peer = subject(s.getPeerCertificates());
        } catch (SSLPeerUnverifiedException e) {
            peer = "none";
        }
        return "session: protocol=" + s.getProtocol() + " suite=" + s.getCipherSuite()
            + " peer=" + peer + " local=" + subject(s.getLocalCertificates());
    }

    private static String readLine(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) >= 0 && c != '\n';)
            if (b.size() < 4096)
                b.write(c);
        return b.toString(StandardCharsets.UTF_8).replace("\r", "");
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static void serve(String name, SSLServerSocket ss) {
        for (;;) {
            try (SSLSocket s = (SSLSocket) ss.accept()) {
                s.setSoTimeout(10000);
                try {
                    s.startHandshake();
                    String session = describe(s.getSession());
                    say(name + " " + session);
                    String line = readLine(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    String reply = "echo: " + line + "\n" + session + "\n";
                    out.write(reply.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (Exception e) {
                    say("handshake failed " + name + ": " + e);
                }
            } catch (Exception e) {
                say("accept failed " + name + ": " + e);
                return;
            }
        }
    }

    private static void server(List<String> args) throws Exception {
        String keystore = null, truststore = null;
        boolean needClientAuth = false;
        List<String[]> listens = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--need-client-auth"))
                needClientAuth = true;
            else if (a.equals("--keystore"))
                keystore = args.get(++i);
            else if (a.equals("--truststore"))
                truststore = args.get(++i);
            else if (a.equals("--listen"))
                listens.add(args.get(++i).split(":", 3));
            else
                throw new IllegalArgumentException("unknown option " + a);
        }
        SSLContext ctx = context(keystore, truststore);
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (String[] l : listens) {
            SSLServerSocket ss =
                (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
            ss.bind(new InetSocketAddress(lo, 0));
            if (list(l[1]) != null)
                ss.setEnabledProtocols(list(l[1]));
            if (list(l[2]) != null)
                ss.setEnabledCipherSuites(list(l[2]));
            ss.setNeedClientAuth(needClientAuth);
            say("listening " + l[0] + " " + ss.getLocalPort());
            Thread t = new Thread(() -> serve(l[0], ss));
            t.setDaemon(true);
            t.start();
        }
        say("ready");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static int client(List<String> args) throws Exception {
        String keystore = null, truststore = null, servername = "localhost", protocols = null,
               suites = null, request = "";
        int port = 0, connections = 1;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i), v = args.get(++i);
            switch (a) {
            case "--port": port = Integer.parseInt(v); break;
            case "--servername": servername = v; break;
            case "--keystore": keystore = v; break;
            case "--truststore": truststore = v; break;
            case "--protocols": protocols = v; break;
            case "--suites": suites = v; break;
            case "--request": request = v.replace("\\r", "\r").replace("\\n", "\n"); break;
            case "--connections": connections = Integer.parseInt(v); break;
            default: throw new IllegalArgumentException("unknown option " + a);
            }
        }
        SSLContext ctx = context(keystore, truststore);
        for (int i = 0; i < connections; i++) {
            int rc = connect(ctx, port, servername, protocols, suites, request);
            if (rc != 0)
                return rc;
        }
        return 0;
    }

    private static int connect(SSLContext ctx, int port, String servername, String protocols,
                               String suites, String request) {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10000);
            s.setSoTimeout(10000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(servername)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            if (list(protocols) != null)
                p.setProtocols(list(protocols));
            if (list(suites) != null)
                p.setCipherSuites(list(suites));
            s.setSSLParameters(p);
            InputStream in = s.getInputStream();
            try {
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                out.write(request.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (java.io.IOException e) {
                // A server that refuses us once our flight is in (TLS 1.3 after our Finished,
                // TLS 1.2 after our Certificate) sends an alert and closes: our write may fail
                // first (broken pipe). The alert then waits in the socket: read it.
                say("write failed: " + e);
                in.read();
                throw e;
            }
            String session = describe(s.getSession());
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0;)
                if (reply.size() < (1 << 20))
                    reply.write(buf, 0, n);
            System.out.print(reply.toString(StandardCharsets.UTF_8));
            say("\n" + session);
            return 0;
        } catch (Exception e) {
            say("error: " + e);
            return 1;
        }
    }

    public static void main(String[] argv) throws Exception {
        List<String> args = new ArrayList<>(List.of(argv));
        String role = args.isEmpty() ? "" : args.remove(0);
        if (role.equals("server"))
            server(args);
        else if (role.equals("client"))
            System.exit(client(args));
        else
            throw new IllegalArgumentException("usage: TlsPeer server|client ...");
    }
}
