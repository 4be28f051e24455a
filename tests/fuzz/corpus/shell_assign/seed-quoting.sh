# quoting as bash reads it
export A=plain B="double \"q\" \\ \$ \`" C='single $x' D="a"'b'c
E=$HOME F=$(id -u) G=`uname` H=${X:-y}
not an assignment
I="multi
line" J= K=x\ y # trailing comment
L="unterminated
