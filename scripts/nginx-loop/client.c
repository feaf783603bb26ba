/* scripts/nginx-loop/run.sh: stop nginx worker PID, queue N connections with their requests, resume it, print each answer's time (s after SIGCONT) as a JSON array. Usage: client N PID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/epoll.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){int n=atoi(argv[1]);int w=atoi(argv[2]);
 kill(w,SIGSTOP);usleep(50000);
 int*fd=malloc(n*sizeof(int));double*t=calloc(n,sizeof(double));
 struct sockaddr_in a={0};a.sin_family=AF_INET;a.sin_port=htons(8080);a.sin_addr.s_addr=htonl(0x7f000001);
 const char*req="GET / HTTP/1.0\r\nHost: x\r\n\r\n";
 int ep=epoll_create1(0);
 for(int i=0;i<n;i++){fd[i]=socket(AF_INET,SOCK_STREAM,0);if(connect(fd[i],(void*)&a,sizeof a)){perror("connect");return 1;}
  write(fd[i],req,strlen(req));fcntl(fd[i],F_SETFL,O_NONBLOCK);
  struct epoll_event e={.events=EPOLLIN,.data.u32=i};epoll_ctl(ep,EPOLL_CTL_ADD,fd[i],&e);}
 usleep(50000);
 int done=0;double t0=now();kill(w,SIGCONT);
 struct epoll_event ev[512];char buf[4096];
 while(done<n){int k=epoll_wait(ep,ev,512,2000);if(k<=0)break;double tt=now();
  for(int j=0;j<k;j++){int i=ev[j].data.u32;if(t[i]==0){t[i]=tt-t0;done++;}read(fd[i],buf,sizeof buf);epoll_ctl(ep,EPOLL_CTL_DEL,fd[i],0);}}
 printf("[");for(int i=0;i<n;i++)printf("%s%.7f",i?",":"",t[i]?t[i]:-1);printf("]\n");return 0;}
