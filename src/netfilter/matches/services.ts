/**
 * Service names as Debian's netbase /etc/services lists them (tcp, udp and
 * sctp entries, in file order), so that port names resolve the same way on
 * every machine cofw runs on. Each line: `name port<t|u|s> [aliases...]`.
 */
export const SERVICES_TEXT = `
tcpmux 1t
echo 7t
echo 7u
discard 9t sink null
discard 9u sink null
systat 11t users
daytime 13t
daytime 13u
netstat 15t
qotd 17t quote
chargen 19t ttytst source
chargen 19u ttytst source
ftp-data 20t
ftp 21t
fsp 21u fspd
ssh 22t
telnet 23t
smtp 25t mail
time 37t timserver
time 37u timserver
whois 43t nicname
tacacs 49t
tacacs 49u
domain 53t
domain 53u
bootps 67u
bootpc 68u
tftp 69u
gopher 70t
finger 79t
http 80t www
kerberos 88t kerberos5 krb5 kerberos-sec
kerberos 88u kerberos5 krb5 kerberos-sec
iso-tsap 102t tsap
acr-nema 104t dicom
pop3 110t pop-3
sunrpc 111t portmapper
sunrpc 111u portmapper
auth 113t authentication tap ident
nntp 119t readnews untp
ntp 123u
epmap 135t loc-srv
netbios-ns 137u
netbios-dgm 138u
netbios-ssn 139t
imap2 143t imap
snmp 161t
snmp 161u
snmp-trap 162t snmptrap
snmp-trap 162u snmptrap
cmip-man 163t
cmip-man 163u
cmip-agent 164t
cmip-agent 164u
mailq 174t
xdmcp 177u
bgp 179t
smux 199t
qmtp 209t
z3950 210t wais
ipx 213u
ptp-event 319u
ptp-general 320u
pawserv 345t
zserv 346t
rpc2portmap 369t
rpc2portmap 369u
codaauth2 370t
codaauth2 370u
clearcase 371u Clearcase
ldap 389t
ldap 389u
svrloc 427t
svrloc 427u
https 443t
https 443u
snpp 444t
microsoft-ds 445t
kpasswd 464t
kpasswd 464u
submissions 465t ssmtp smtps urd
saft 487t
isakmp 500u
rtsp 554t
rtsp 554u
nqs 607t
asf-rmcp 623u
qmqp 628t
ipp 631t
ldp 646t
ldp 646u
exec 512t
biff 512u comsat
login 513t
who 513u whod
shell 514t cmd syslog
syslog 514u
printer 515t spooler
talk 517u
ntalk 518u
route 520u router routed
gdomap 538t
gdomap 538u
uucp 540t uucpd
klogin 543t
kshell 544t krcmd
dhcpv6-client 546u
dhcpv6-server 547u
afpovertcp 548t
nntps 563t snntp
submission 587t
ldaps 636t
ldaps 636u
tinc 655t
tinc 655u
silc 706t
kerberos-adm 749t
domain-s 853t
domain-s 853u
rsync 873t
ftps-data 989t
ftps 990t
telnets 992t
imaps 993t
pop3s 995t
socks 1080t
proofd 1093t
rootd 1094t
openvpn 1194t
openvpn 1194u
rmiregistry 1099t
lotusnote 1352t lotusnotes
ms-sql-s 1433t
ms-sql-m 1434u
ingreslock 1524t
datametrics 1645t old-radius
datametrics 1645u old-radius
sa-msg-port 1646t old-radacct
sa-msg-port 1646u old-radacct
kermit 1649t
groupwise 1677t
l2f 1701u l2tp
radius 1812t
radius 1812u
radius-acct 1813t radacct
radius-acct 1813u radacct
cisco-sccp 2000t
nfs 2049t
nfs 2049u
gnunet 2086t
gnunet 2086u
rtcm-sc104 2101t
rtcm-sc104 2101u
gsigatekeeper 2119t
gris 2135t
cvspserver 2401t
venus 2430t
venus 2430u
venus-se 2431t
venus-se 2431u
codasrv 2432t
codasrv 2432u
codasrv-se 2433t
codasrv-se 2433u
mon 2583t
mon 2583u
dict 2628t
f5-globalsite 2792t
gsiftp 2811t
gpsd 2947t
gds-db 3050t gds_db
icpv2 3130u icp
isns 3205t
isns 3205u
iscsi-target 3260t
mysql 3306t
ms-wbt-server 3389t
nut 3493t
nut 3493u
distcc 3632t
daap 3689t
svn 3690t subversion
suucp 4031t
sysrqd 4094t
sieve 4190t
epmd 4369t
remctl 4373t
f5-iquery 4353t
ntske 4460t
ipsec-nat-t 4500u
iax 4569u
mtn 4691t
radmin-port 4899t
sip 5060t
sip 5060u
sip-tls 5061t
sip-tls 5061u
xmpp-client 5222t jabber-client
xmpp-server 5269t jabber-server
cfengine 5308t
mdns 5353u
postgresql 5432t postgres
freeciv 5556t rptp
amqps 5671t
amqp 5672t
amqp 5672s
x11 6000t x11-0
x11-1 6001t
x11-2 6002t
x11-3 6003t
x11-4 6004t
x11-5 6005t
x11-6 6006t
x11-7 6007t
gnutella-svc 6346t
gnutella-svc 6346u
gnutella-rtr 6347t
gnutella-rtr 6347u
redis 6379t
sge-qmaster 6444t sge_qmaster
sge-execd 6445t sge_execd
mysql-proxy 6446t
babel 6696u
ircs-u 6697t
bbs 7000t
afs3-fileserver 7000u
afs3-callback 7001u
afs3-prserver 7002u
afs3-vlserver 7003u
afs3-kaserver 7004u
afs3-volser 7005u
afs3-bos 7007u
afs3-update 7008u
afs3-rmtsys 7009u
font-service 7100t xfs
http-alt 8080t webcache
puppet 8140t
bacula-dir 9101t
bacula-fd 9102t
bacula-sd 9103t
xmms2 9667t
nbd 10809t
zabbix-agent 10050t
zabbix-trapper 10051t
amanda 10080t
dicom 11112t
hkp 11371t
db-lsp 17500t
dcap 22125t
gsidcap 22128t
wnn6 22273t
kerberos4 750u kerberos-iv kdc
kerberos4 750t kerberos-iv kdc
kerberos-master 751u kerberos_master
kerberos-master 751t
passwd-server 752u passwd_server
krb-prop 754t krb_prop krb5_prop hprop
zephyr-srv 2102u
zephyr-clt 2103u
zephyr-hm 2104u
iprop 2121t
supfilesrv 871t
supfiledbg 1127t
poppassd 106t
moira-db 775t moira_db
moira-update 777t moira_update
moira-ureg 779u moira_ureg
spamd 783t
skkserv 1178t
predict 1210u
rmtcfg 1236t
xtel 1313t
xtelw 1314t
zebrasrv 2600t
zebra 2601t
ripd 2602t
ripngd 2603t
ospfd 2604t
bgpd 2605t
ospf6d 2606t
ospfapi 2607t
isisd 2608t
fax 4557t
hylafax 4559t
munin 4949t lrrd
rplay 5555u
nrpe 5666t
nsca 5667t
canna 5680t
syslog-tls 6514t
sane-port 6566t sane saned
ircd 6667t
zope-ftp 8021t
tproxy 8081t
omniorb 8088t
clc-build-daemon 8990t
xinetd 9098t
git 9418t
zope 9673t
webmin 10000t
kamanda 10081t
amandaidx 10082t
amidxtape 10083t
sgi-cmsd 17001u
sgi-crsd 17002u
sgi-gcd 17003u
sgi-cad 17004t
binkp 24554t
asp 27374t
asp 27374u
csync2 30865t
dircproxy 57000t
tfido 60177t
fido 60179t
`;
