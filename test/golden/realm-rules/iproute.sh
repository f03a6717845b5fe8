ip route replace default via 198.51.100.254 dev eth0 realm 1
ip route add 203.0.113.0/25 via 198.51.100.254 dev eth0 realms 2/3
ip rule add from 192.0.2.128/25 lookup main realms 5/6 priority 100
ip rule add to 203.0.113.128/25 lookup main realms 7 priority 101
ip rule add iif eth0 to 192.0.2.64/26 lookup main realms 8/0 priority 102
