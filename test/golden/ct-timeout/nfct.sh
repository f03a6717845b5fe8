nfct add timeout udp-short inet udp unreplied 3 replied 4
nfct add timeout udp-long inet udp unreplied 40
nfct add timeout tcp-short inet tcp syn_sent 4 established 5
nfct add timeout icmp-short inet icmp timeout 3
nfct add timeout esp-short inet generic timeout 4
nfct add timeout udp-short6 inet6 udp unreplied 3 replied 4
nfct add timeout tcp-short6 inet6 tcp syn_sent 4 established 5
nfct add timeout icmp6-short inet6 icmpv6 timeout 3
