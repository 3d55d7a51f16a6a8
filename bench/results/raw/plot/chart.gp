
set terminal pngcairo size 1500,1050 font "sans,10"
set output "/work/main/bench/results/latest.png"
set multiplot layout 2,2 title "deployer benchmark (2026-11-29 01:53 UTC)"
set style fill solid 0.6 border -1
set grid ytics
set xtics rotate by -30 left
set key top right
set title "Deploy latency: median, box p25-p75, whiskers p10-p90 (ms)"
set boxwidth 0.6
set xrange [-0.6:9-0.4]
set yrange [0:*]
plot "/work/main/bench/results/raw/plot/lat.dat" using 1:6:4:5:7:xticlabels(2) with candlesticks whiskerbars lc rgb "#4477aa" notitle, \
     "/work/main/bench/results/raw/plot/lat.dat" using 1:3:3:3:3 with candlesticks lw 2 lc rgb "black" notitle
set title "CPU per deploy, medians (ms)"
set xrange [*:*]
set style histogram rowstacked
set style data histograms
plot "/work/main/bench/results/raw/plot/cpu.dat" using 3:xticlabels(2) title "client", "" using 4 title "nginx", "" using 5 title "server program", "" using 6 title "dockerd + registry"
set style data points
set title "One FastCGI process: RSS across requests (kB)"
set xtics norotate
set xlabel "requests"
set yrange [0:*]
set format x "%.0s%c"
plot "/work/main/bench/results/raw/plot/mem.dat" using 1:2 with linespoints title "VmRSS", "" using 1:3 with linespoints title "RssAnon"
unset xlabel
set format x "%g"
set title "Deploy latency with 1 vs 1000 services: median, whiskers p10-p90 (ms)"
set xtics rotate by -30 left
set boxwidth 0.35
set xrange [-0.6:4-0.4]
set yrange [0:*]
plot "/work/main/bench/results/raw/plot/scale.dat" using ($1-0.18):3:xticlabels(2) with boxes lc rgb "#66ccee" title "1 services", \
     "/work/main/bench/results/raw/plot/scale.dat" using ($1-0.18):3:4:5 with yerrorbars lc rgb "black" pt 0 notitle, \
     "/work/main/bench/results/raw/plot/scale.dat" using ($1+0.18):6 with boxes lc rgb "#ee6677" title "1000 services", \
     "/work/main/bench/results/raw/plot/scale.dat" using ($1+0.18):6:7:8 with yerrorbars lc rgb "black" pt 0 notitle
unset multiplot
