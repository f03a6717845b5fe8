ip route add default via 192.0.2.200 dev eth1 table 51820
ip -6 route add default via 2001:db8:2::c8 dev eth1 table 51820
ip rule add not fwmark 51820 table 51820
ip rule add table main suppress_prefixlength 0
ip -6 rule add not fwmark 51820 table 51820
ip -6 rule add table main suppress_prefixlength 0
