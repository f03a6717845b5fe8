ip route add unreachable 203.0.113.64/26
ip -6 route add unreachable 2001:db8:7::/48
ip route add default via 192.0.2.254 dev eth1 table 100
ip -6 route add default via 2001:db8:2::fe dev eth1 table 100
ip route add blackhole 203.0.113.192/26 table 100
ip -6 route add blackhole 2001:db8:6::/48 table 100
ip rule add priority 100 fwmark 1 table 100
ip -6 rule add priority 100 fwmark 1 table 100
ip rule add priority 50 fwmark 4 table main
ip -6 rule add priority 50 fwmark 4 table main
ip rule add priority 110 fwmark 0x100/0x100 blackhole
ip -6 rule add priority 110 fwmark 0x100/0x100 blackhole
ip rule add to 198.18.0.0/15 unreachable
ip -6 rule add to 2001:db8:ff::/48 unreachable
ip rule add from 192.0.2.128/26 iif eth1 prohibit
ip -6 rule add from 2001:db8:2::80/121 iif eth1 prohibit
ip rule add priority 200 iif lo to 203.0.113.0/24 table 100
ip -6 rule add priority 200 iif lo to 2001:db8:5::/48 table 100
