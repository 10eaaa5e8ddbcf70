// gobgptool: the peer benchmark's gRPC client for gobgpd 3.x (GoBGP's API, as in its
// docs/sources/grpc-client.md).
//
//	add   -n N [-start S] [-batch B]  inject prefixes S..S+N-1 with AddPathStream, B per message
//	del   -n N [-start S] [-wait]     withdraw them the same way (IsWithdraw); with -wait,
//	                                  connect and build the paths, print "ready", and send
//	                                  only once a line arrives on stdin (the benchmark times
//	                                  that write, as it times bgplb's command on its pipe)
//	count                             destinations in the global RIB of -family
//
// Prefix i is 100.64.0.0+i/32 or 2001:db8:64::+i/128, the set every announcer in the
// benchmark sends (bench.py: pfx). Next hop 0.0.0.0 / :: (gobgpd sets its own address on eBGP).
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"google.golang.org/grpc"
)

func prefixV4(i int) string {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, binary.BigEndian.Uint32(net.ParseIP("100.64.0.0").To4())+uint32(i))
	return net.IP(b).String()
}

func prefixV6(i int) string {
	ip := make(net.IP, 16)
	copy(ip, net.ParseIP("2001:db8:64::"))
	binary.BigEndian.PutUint32(ip[12:], uint32(i))
	return ip.String()
}

func dial(target string) api.GobgpApiClient {
	opts := []grpc.DialOption{grpc.WithBlock(), grpc.WithInsecure()}
	if strings.HasPrefix(target, "unix://") {
		target = strings.TrimPrefix(target, "unix://")
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", addr)
		}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, target, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(2)
	}
	return api.NewGobgpApiClient(conn)
}

func family(f string) *api.Family {
	if f == "ipv6" {
		return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
}

func path(f string, i int, withdraw bool) *api.Path {
	origin := bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)
	var nlri bgp.AddrPrefixInterface
	var attrs []bgp.PathAttributeInterface
	if f == "ipv6" {
		nlri = bgp.NewIPv6AddrPrefix(128, prefixV6(i))
		attrs = []bgp.PathAttributeInterface{origin, bgp.NewPathAttributeMpReachNLRI("::", []bgp.AddrPrefixInterface{nlri})}
	} else {
		nlri = bgp.NewIPAddrPrefix(32, prefixV4(i))
		attrs = []bgp.PathAttributeInterface{origin, bgp.NewPathAttributeNextHop("0.0.0.0")}
	}
	p, err := apiutil.NewPath(nlri, withdraw, attrs, time.Now())
	if err != nil {
		panic(err)
	}
	return p
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobgptool add|del|count [-target T] [-family ipv4|ipv6] [-n N] [-start S] [-batch B]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	target := fs.String("target", "127.0.0.1:50051", "gobgpd API (host:port or unix:///path)")
	fam := fs.String("family", "ipv4", "ipv4|ipv6")
	n := fs.Int("n", 1000, "number of prefixes")
	start := fs.Int("start", 0, "index of the first prefix")
	batch := fs.Int("batch", 1000, "paths per AddPathStream message")
	wait := fs.Bool("wait", false, "del: send once a line arrives on stdin")
	_ = fs.Parse(os.Args[2:])
	c := dial(*target)
	switch os.Args[1] {
	case "add", "del":
		stream, err := c.AddPathStream(context.Background())
		if err != nil {
			panic(err)
		}
		var msgs []*api.AddPathStreamRequest
		for i := *start; i < *start+*n; i += *batch {
			paths := make([]*api.Path, 0, *batch)
			for j := i; j < i+*batch && j < *start+*n; j++ {
				paths = append(paths, path(*fam, j, os.Args[1] == "del"))
			}
			msgs = append(msgs, &api.AddPathStreamRequest{TableType: api.TableType_GLOBAL, Paths: paths})
		}
		if *wait && os.Args[1] == "del" {
			fmt.Println("ready")
			if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
				fmt.Fprintln(os.Stderr, "stdin:", err)
				os.Exit(1)
			}
		}
		for _, m := range msgs {
			if err := stream.Send(m); err != nil {
				panic(err)
			}
		}
		if _, err := stream.CloseAndRecv(); err != nil {
			panic(err)
		}
	case "count":
		r, err := c.GetTable(context.Background(), &api.GetTableRequest{TableType: api.TableType_GLOBAL, Family: family(*fam)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(r.NumDestination)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
