ip link set eth0 group 5
ip link set eth1 group 10
