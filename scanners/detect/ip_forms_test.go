package detect

import (
	"slices"
	"strings"
	"testing"
)

// TestIPv4Forms holds the IPv4 detector to the forms real logs write
// addresses in, and to the dotted numbers of the same shape that are not
// addresses: versions, component identities, OIDs, times. The lines are
// written in the formats of Windows CBS, Hadoop, ZooKeeper, Kafka,
// Cassandra, syslog, nginx and Apache, with made-up values.
func TestIPv4Forms(t *testing.T) {
	e := allBuiltins(t)
	tests := []struct {
		name string
		text string
		want []string // ipv4/ipv6 matches, rule=exact span
	}{
		// Envoy/Istio node ids: type~address~pod~domain.
		{"image tag after a registry path", "image: registry.example.com/app:1.2.3.4", nil},
		{"image tag after image=", "image=nginx:1.25.3.1", nil},
		{"image tag in a Dockerfile", "FROM python:3.11.4.2-slim", nil},
		{"host label and address", "connect db:10.1.2.3", []string{"ipv4=10.1.2.3"}},
		{"host key and address with port", "host:10.1.2.3:5432", []string{"ipv4=10.1.2.3"}},
		{"from an address", "Connection from:10.1.2.3 closed", []string{"ipv4=10.1.2.3"}},
		{"key ending in version", "SerializationVersion: 1.1.0.1", nil},
		{"json key ending in version", `{"os_version": "10.0.19041.1"}`, nil},
		{"key not ending in version", "RemoteAddress: 10.1.2.3", []string{"ipv4=10.1.2.3"}},
		{"envoy node id", "cluster: sidecar~10.44.3.17~reviews-v1-5b8.default~default.svc.cluster.local", []string{"ipv4=10.44.3.17"}},
		{"windows identity, language", "Microsoft-Windows-Foo~31bf3856ad364e35~amd64~en-US~6.1.7601.17514 installed", nil},

		// Java's InetAddress and InetSocketAddress: host/address[:port].
		{"java host/addr:port", "Connecting to ResourceManager at rm-host-07/10.1.2.3:8030", []string{"ipv4=10.1.2.3"}},
		{"java fqdn/addr:port", "Started at WKS-7Q2LM.corp.example.com/172.16.40.9:51413 ok", []string{"ipv4=172.16.40.9"}},
		{"java host/addr no port", "No Route to Host from  BUILD-AGENT3/127.0.0.1 to nn-01:9000 failed", []string{"ipv4=127.0.0.1"}},
		{"java localhost/addr", "resolved localhost/127.0.0.1 first", []string{"ipv4=127.0.0.1"}},
		{"java unresolved /addr:port", "Accepted socket connection from /10.1.2.3:62260", []string{"ipv4=10.1.2.3"}},
		{"zookeeper bracketed", "INFO  [LearnerHandler-/10.1.2.3:41876:LearnerHandler@562] - Follower sid: 2", []string{"ipv4=10.1.2.3"}},
		{"zookeeper [/addr:port]", "WARN  [SendWorker:3] - Connection broken for id 3, my id = 1 peer [/10.1.2.3:2181]", []string{"ipv4=10.1.2.3"}},
		{"zookeeper addr/addr:port", "Socket connection established to 10.1.2.3/10.1.2.3:2181, initiating session", []string{"ipv4=10.1.2.3", "ipv4=10.1.2.3"}},
		{"kafka", "[Controller id=1] Connection to node 2 (broker-2.kafka.svc/10.244.1.17:9092) could not be established.", []string{"ipv4=10.244.1.17"}},
		{"cassandra", "INFO  [HANDSHAKE-/10.0.4.21] 2026-11-30 08:14:02,117 OutboundTcpConnection.java:561 - Handshaking version with /10.0.4.21", []string{"ipv4=10.0.4.21", "ipv4=10.0.4.21"}},
		{"hdfs src dest", "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010", []string{"ipv4=10.250.19.102", "ipv4=10.250.19.102"}},
		{"akka", "Remoting started; listening on addresses :[akka.tcp://sparkDriver@10.10.34.11:48069]", []string{"ipv4=10.10.34.11"}},

		// Plain addresses.
		{"syslog sshd", "Nov 30 08:14:02 gw1 sshd[24200]: Failed password for root from 198.51.100.23 port 52311 ssh2", []string{"ipv4=198.51.100.23"}},
		{"syslog pam rhost", "Nov 30 08:14:02 gw1 sshd(pam_unix)[19937]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.77  user=root", []string{"ipv4=203.0.113.77"}},
		{"nginx", `203.0.113.9 - - [30/Nov/2026:08:14:02 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/8.4.0"`, []string{"ipv4=203.0.113.9"}},
		{"apache error", "[Sun Nov 30 08:14:02 2026] [error] [client 192.0.2.200] Directory index forbidden by rule: /var/www/html/", []string{"ipv4=192.0.2.200"}},
		{"ntp", "ntpd[2721]: synchronized to 192.0.2.1, stratum 2", []string{"ipv4=192.0.2.1"}},
		{"mac interface", "network changed: v4(en0:192.168.1.14) DNS+ Proxy- SMB", []string{"ipv4=192.168.1.14"}},
		{"cidr", "route 10.128.0.0/16 via 10.128.0.1", []string{"ipv4=10.128.0.0", "ipv4=10.128.0.1"}},

		// The unspecified address names no host: not reported.
		{"bind any", "binding to port 0.0.0.0/0.0.0.0:2181", nil},
		{"listen any", "IPC Server listener on 0.0.0.0:8030 started", nil},

		// Versions and component identities.
		{"cbs package identity", "Appl: detect Parent, Package: Package_for_KB3121255~31bf3856ad364e35~amd64~~6.1.1.0, Parent: Microsoft-Windows-Client-Features-Package~31bf3856ad364e35~amd64~~6.1.7601.17514", nil},
		{"cbs tilde", "Package_3_for_KB2990214~31bf3856ad364e35~x86~~10.2.4.1.2", nil},
		{"tilde", "~6.1.1.0", nil},
		{"v prefix", "v1.2.3.4 and V10.0.0.1", nil},
		{"version word", "version 10.0.17763.1 and Version: 4.3.2.1 and ver. 1.2.3.4", nil},
		{"version field", "Culture=neutral, Version=6.1.7.1, PublicKeyToken=31bf3856ad364e35", nil},
		{"underscore", "amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.17514_none and wow64_6.1.2.3_none", nil},
		{"dll version", "Expecting attribute name [HRESULT = 0x800f080d] (dll version 6.1.7.1)", nil},
		{"product/version", "Starting Servlet engine: [Apache Tomcat/10.1.16.0]", nil},
		{"product-name/version", "Jakarta-Commons/2.1.0.4 okhttp/4.9.3.1", nil},
		{"path segment", "GET /repo/maven2/com/example/lib-2/1.2.3.4/lib-2-1.2.3.4.jar HTTP/1.1", nil},
		{"path then port", "GET /resolve/10.1.2.3:8080 HTTP/1.1", []string{"ipv4=10.1.2.3"}},
		{"user agent", `"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/105.0.0.0"`, nil},
		{"oid", "oid 1.3.6.1.4.1.311 and OID: 1.3.6.1 and iso.3.6.1.2", nil},
		{"package name", "libfoo-1.2.3.4.so python3.11.2.1 pkg.1.2.3.4", nil},
		{"dotted time after date", "2026-11-30 13.55.36.120 and 2026-11-30-13.55.36.123456", nil},
		// Versions after a product name, a version operator, in a
		// Debian changelog header or a list of versions (issue 12).
		{"git release", "      Git 1.8.1.2", nil},
		{"git release caps", "      GIT 1.5.3.5 Release Notes", nil},
		{"browser slash", "Mozilla/5.0 Chrome/119.0.0.0 Safari/537.36", nil},
		{"browser space", "Chrome 119.0.0.0 Safari and Firefox 115.0.0.0 here", nil},
		{"windows nt", "Windows NT 10.0.19041.1 and Windows NT 10.0.1.1", nil},
		{"version word", "version 4.2.1.0 installed", nil},
		{"debian changelog", "dpkg (1.15.5.1) unstable; urgency=medium", nil},
		{"old debian changelog", "dpkg (0.93.42.2) BETA; priority=HIGH", nil},
		{"version to", "  * Bump Standards-Version to 4.6.2.0, upgrade version from 1.2.3.4", nil},
		{"address to", "forwarding to 10.1.2.3 from 10.1.2.4", []string{"ipv4=10.1.2.3", "ipv4=10.1.2.4"}},
		{"debian depends", "  * Added base-passwd (>= 2.0.3.4) to the Depends field.", nil},
		{"pip pin", "requests==2.31.0.1 urllib3>=1.26.18.1", nil},
		{"version list", "aws-sdk\t3.32.3 3.33.2 3.33.2.1 3.34.0", nil},
		{"section", "see Section 1.2.3.4 and section 14.9.3.1 of RFC 2616", nil},
		{"section sign", "§ 4.1.2.3 and §4.1.2.4", nil},
		{"release notes", "2013-04-12 (3.7.16.2)\nVersion bump: 1.0.99.2\nPrepare for 1.8.1.1\n  * Upgrade V8 to 3.9.24.9\n", nil},
		{"ping in parentheses", "PING example.com (93.184.216.34) 56(84) bytes; connect for 10.1.2.3", []string{"ipv4=93.184.216.34", "ipv4=10.1.2.3"}},
		{"updated key with a port", "NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475", []string{"ipv4=10.251.73.220"}},
		{"bump to", "  * Bump to 1.2.99.2; Update draft release notes to 1.7.11.6", nil},
		{"compiler version", "  * Build with gcc 2.7.2.1 and glibc 2.3.6.4", nil},
		{"debian epoch", "Depends: libfoo (>= 1:1.2.2.3), bar (<< 2:3.4.5.6)", nil},
		{"user agent rv", "Mozilla/5.0 (Windows NT 6.1; rv:2.0.1.1) Gecko/20100101; MIUI 9.1.3.0; Zune 4.0.0.1", nil},
		{"connected to", "Connected to 10.1.2.3; updated host 10.1.2.4", []string{"ipv4=10.1.2.3", "ipv4=10.1.2.4"}},
		{"debian package version", "  - Require xorg-server_1.3.99.0~git20070321 or later", nil},
		{"underscore version", "pkg_1.2.3.4 and build_10.0.1.2 and upgrade_to_1.2.3.5 fixed_in_2.0.1.3", nil},
		// Addresses in the same shapes.
		{"sshd from", "sshd[811]: Accepted publickey for x from 1.2.3.4 port 22 ssh2", []string{"ipv4=1.2.3.4"}},
		{"from port", "Connection closed by 10.1.2.3 port 22 and from 10.1.2.4 port 22", []string{"ipv4=10.1.2.3", "ipv4=10.1.2.4"}},
		{"client lower", "client 192.168.1.5 sent", []string{"ipv4=192.168.1.5"}},
		{"client capitalised", "Client 192.168.1.5 sent", []string{"ipv4=192.168.1.5"}},
		{"log level", `INFO 85.14.22.190 - - [03/Feb/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 512`, []string{"ipv4=85.14.22.190"}},
		{"capitalised words", "Visitor 178.22.91.4 viewed /pricing; Device 88.12.41.7 registered; WKP 127.0.0.1", []string{"ipv4=178.22.91.4", "ipv4=88.12.41.7", "ipv4=127.0.0.1"}},
		{"node", "Node 10.1.2.3 joined the cluster", []string{"ipv4=10.1.2.3"}},
		{"sshd user named like a product", "Connection closed by invalid user git 203.0.113.11 port 511 [preauth]", []string{"ipv4=203.0.113.11"}},
		{"sshd user named version", "Disconnected from user version 192.0.2.30 port 730", []string{"ipv4=192.0.2.30"}},
		{"capitalised word and port", "Chrome 10.1.2.3:8080", []string{"ipv4=10.1.2.3"}},
		{"ftp caps", "ANONYMOUS FTP LOGIN FROM 84.102.20.2,  (anonymous)", []string{"ipv4=84.102.20.2"}},
		{"address list", "nameservers 10.1.2.3 10.1.2.4", []string{"ipv4=10.1.2.3", "ipv4=10.1.2.4"}},
		{"parenthesised", "PING example.com (93.184.216.34) 56(84) bytes of data.", []string{"ipv4=93.184.216.34"}},
		{"underscore address words", "upstream_10.20.30.40 host_192.168.0.1:80 ip_10.0.0.1 remote_addr_10.0.0.2", []string{"ipv4=10.20.30.40", "ipv4=192.168.0.1", "ipv4=10.0.0.1", "ipv4=10.0.0.2"}},
		{"address after date", "2026-11-30 10.1.2.3 GET /", []string{"ipv4=10.1.2.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.DeleteFunc(found(e, tt.text, nil), func(s string) bool {
				return !strings.HasPrefix(s, "ipv4=") && !strings.HasPrefix(s, "ipv6=")
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}
