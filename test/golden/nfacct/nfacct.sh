nfacct add all-in
nfacct add cap-bytes byte 100
nfacct add cap-pkts packet 2
nfacct add shared
