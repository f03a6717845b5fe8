ip route replace default via 198.51.100.254 dev eth0 realm 1
ip route add 203.0.113.0/25 via 198.51.100.254 dev eth0 realms 2/3
ip route add 203.0.113.128/25 via 198.51.100.254 dev eth0 realm 4
ip route add 192.0.2.128/25 dev eth1 realm 9
